//! Model analysis: the sliced metrics of a model's evaluation — a slice table (sortable by any metric, searchable,
//! small slices flagged or hidden, the overall row pinned), one metric across a column's slices as bars with
//! confidence whiskers and the overall value as a reference, a slice's details (confusion matrix, ROC and calibration
//! curves when its examples are open), a comparison with another evaluation (per-slice deltas, regressions marked)
//! and the slice's history across the model's evaluations. Evaluations come from per-example files (computed in the
//! background), sliced-metrics documents, or the cluster's evaluation jobs.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::charts::ExportFormat;
use crate::metrics::analysis::{self, Confusion};
use crate::metrics::slices::{METRIC_NAMES, SliceRow};
use crate::state::Connection;
use crate::state::command::Command;
use crate::state::loadable::Loadable;
use crate::state::model_analysis::{ModelAnalysisCommand, ModelAnalysisState, Setup};
use crate::tone::Tone;
use crate::ui::ViewCtx;
use crate::ui::theme::Theme;
use crate::ui::views::training::section;
use crate::ui::widgets::chart::{chart_style, line_chart, slice_chart};
use crate::ui::widgets::sort_header::{plain_header, sort_header};

fn send(view: &ViewCtx<'_>, command: ModelAnalysisCommand) {
    view.commands.send(Command::ModelAnalysis(command));
}

/// The metric columns of the table (indices into `METRIC_NAMES`): count, the ranking metrics, then the ones at the
/// threshold, log loss and calibration.
const TABLE_METRICS: [usize; 9] = [0, 6, 7, 2, 3, 4, 5, 8, 11];

pub fn ui(ui: &mut Ui, view: &ViewCtx<'_>) {
    let state = &view.state.model_analysis;
    toolbar(ui, view, state);
    if let Some(progress) = &state.progress {
        let text = format!("{} {} ({:.0}%)", progress.phase, progress.what, progress.fraction * 100.0);
        ui.add(egui::ProgressBar::new(progress.fraction).text(text).animate(true));
    }
    cluster_notes(ui, view, state);
    if let Some(setup) = &state.setup {
        setup_card(ui, view, setup, state.progress.is_some());
        return;
    }
    let Some(shown) = state.shown() else {
        crate::ui::views::empty_state::show(
            ui,
            crate::ui::views::registry::info(crate::state::Screen::ModelAnalysis),
            view,
            false,
        );
        ui.add_space(8.0);
        ui.label(
            RichText::new(
                "Open per-example evaluation data (CSV or JSON lines with a label, a score and feature columns), or a \
                 sliced-metrics document. On a cluster, ConfigMaps and evaluation pods labelled \
                 bosun.dev/sliced-metrics are read by themselves.",
            )
            .color(view.theme.palette.text_weak),
        );
        return;
    };
    let p = view.theme.palette;
    let time = shown.time.get(..16).unwrap_or(&shown.time).replace('T', " ");
    let run = if shown.run.is_empty() { String::new() } else { format!(" · run {}", shown.run) };
    ui.label(
        RichText::new(format!("{}{run} · {time} · {}", shown.label(), shown.source)).color(p.text_weak).size(12.0),
    );
    ui.add_space(4.0);
    egui::Panel::right("model_analysis_charts").default_size(520.0).resizable(true).show(ui, |ui| {
        egui::ScrollArea::vertical().id_salt("model_analysis_charts_scroll").show(ui, |ui| charts(ui, view, state));
    });
    egui::CentralPanel::default().show(ui, |ui| {
        filters(ui, view, state);
        ui.add_space(4.0);
        table(ui, view, state, &shown.rows);
    });
}

fn toolbar(ui: &mut Ui, view: &ViewCtx<'_>, state: &ModelAnalysisState) {
    ui.horizontal_wrapped(|ui| {
        if ui.button("Open examples…").on_hover_text("CSV or JSON lines: label, score, feature columns").clicked() {
            send(view, ModelAnalysisCommand::PickFiles);
        }
        if ui.button("Open folder…").on_hover_text("A folder of shards, read as one").clicked() {
            send(view, ModelAnalysisCommand::PickFolder);
        }
        if ui.button("Open sliced metrics…").on_hover_text("A bosun.sliced-metrics/v1 JSON document").clicked() {
            send(view, ModelAnalysisCommand::PickDocument);
        }
        if matches!(view.state.connection, Connection::Connected(_)) {
            let busy = state.cluster.loading;
            let button = ui.add_enabled(!busy, egui::Button::new("Reload from cluster"));
            if button.on_hover_text("Read evaluation ConfigMaps and pods again").clicked() {
                send(view, ModelAnalysisCommand::ReloadCluster);
            }
            if busy {
                ui.spinner();
            }
        }
        if state.evaluations.is_empty() {
            return;
        }
        ui.separator();
        let shown = state.shown().map(|e| e.label()).unwrap_or_default();
        egui::ComboBox::new("evaluation", "").selected_text(format!("Showing {shown}")).width(200.0).show_ui(
            ui,
            |ui| {
                for e in &state.evaluations {
                    if ui.selectable_label(state.current == Some(e.id), e.label()).on_hover_text(&e.source).clicked() {
                        send(view, ModelAnalysisCommand::Show(e.id));
                    }
                }
            },
        );
        let compared = state.compared().map_or("nothing".to_string(), |e| e.label());
        egui::ComboBox::new("compare", "").selected_text(format!("Compared with {compared}")).width(220.0).show_ui(
            ui,
            |ui| {
                if ui.selectable_label(state.baseline.is_none(), "nothing").clicked() {
                    send(view, ModelAnalysisCommand::CompareWith(None));
                }
                for e in state.evaluations.iter().filter(|e| Some(e.id) != state.current) {
                    if ui.selectable_label(state.baseline == Some(e.id), e.label()).clicked() {
                        send(view, ModelAnalysisCommand::CompareWith(Some(e.id)));
                    }
                }
            },
        );
        egui::ComboBox::new("metric", "").selected_text(format!("Metric: {}", state.metric_name())).show_ui(ui, |ui| {
            for (i, name) in METRIC_NAMES.iter().enumerate().skip(2) {
                if ui.selectable_label(state.metric == i, *name).clicked() {
                    send(view, ModelAnalysisCommand::Metric(i));
                }
            }
        });
        if let Some(id) = state.current
            && ui.button("Close").on_hover_text("Close the evaluation shown").clicked()
        {
            send(view, ModelAnalysisCommand::Close(id));
        }
        ui.separator();
        if ui.button("Export CSV…").on_hover_text("The table as shown, as bosun slices -o csv prints it").clicked() {
            view.commands.send(Command::ExportSlicesCsv);
        }
        for format in [ExportFormat::Svg, ExportFormat::Png] {
            let label = format!("Export chart {}…", format.extension().to_uppercase());
            if ui.button(label).clicked() {
                let style = chart_style(view.theme);
                view.commands.send(Command::ExportSlicesChart { history: false, format, style });
            }
        }
    });
}

fn cluster_notes(ui: &mut Ui, view: &ViewCtx<'_>, state: &ModelAnalysisState) {
    if let Some(e) = &state.cluster.error {
        ui.colored_label(view.theme.tone(Tone::Err), format!("Evaluations on the cluster: {e}"));
    }
    for (source, problem) in &state.cluster.problems {
        ui.colored_label(view.theme.tone(Tone::Warn), format!("{source}: {problem}"));
    }
}

fn filters(ui: &mut Ui, view: &ViewCtx<'_>, state: &ModelAnalysisState) {
    ui.horizontal(|ui| {
        let mut search = state.search.clone();
        let edit = ui.add(egui::TextEdit::singleline(&mut search).hint_text("Search slices").desired_width(180.0));
        edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Search slices"));
        if edit.changed() {
            send(view, ModelAnalysisCommand::Search(search));
        }
        ui.label("Small below");
        let mut min = state.min_count;
        let drag = ui.add(egui::DragValue::new(&mut min).range(0.0..=1e9).speed(5.0).suffix(" examples"));
        drag.widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Minimum count"));
        if drag.changed() {
            send(view, ModelAnalysisCommand::MinCount(min));
        }
        let mut hide = state.hide_small;
        if ui.checkbox(&mut hide, "Hide small slices").changed() {
            send(view, ModelAnalysisCommand::HideSmall(hide));
        }
    });
}

fn cell(value: f64) -> String {
    if !value.is_finite() {
        "—".into()
    } else if value.abs() >= 1000.0 || value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.3}")
    }
}

fn table(ui: &mut Ui, view: &ViewCtx<'_>, state: &ModelAnalysisState, rows: &[SliceRow]) {
    let p = view.theme.palette;
    let delta_of = |slice: &str| state.deltas.iter().find(|d| d.slice == slice);
    let comparing = !state.deltas.is_empty();
    let overall: Vec<&SliceRow> = rows.iter().filter(|r| r.slice == "Overall").collect();
    let listed: Vec<&SliceRow> = overall.into_iter().chain(state.order.iter().map(|&i| &rows[i])).collect();
    // A multi-class classifier's rows: each class's recall after the metrics.
    let classes = crate::metrics::sliced::classes_of(rows);
    ui.style_mut().interaction.selectable_labels = false;
    let mut clicked: Option<String> = None;
    // Wide tables scroll sideways, clipped at the charts rather than reaching under them.
    egui::ScrollArea::horizontal().id_salt("slices_table_scroll").show(ui, |ui| {
        let mut builder = TableBuilder::new(ui)
            .id_salt("slices_table")
            .striped(true)
            .sense(egui::Sense::click())
            .column(Column::initial(190.0).clip(true).resizable(true));
        if comparing {
            builder = builder.column(Column::initial(104.0));
        }
        for _ in TABLE_METRICS {
            builder = builder.column(Column::initial(58.0));
        }
        for _ in &classes {
            builder = builder.column(Column::initial(76.0));
        }
        builder
            .header(24.0, |mut header| {
                header.col(|ui| {
                    if sort_header(ui, view.theme, "slice", state.sort.is_none().then_some(!state.descending)) {
                        send(view, ModelAnalysisCommand::SortBy(None));
                    }
                });
                if comparing {
                    header.col(|ui| plain_header(ui, view.theme, &format!("delta {}", state.metric_name())));
                }
                for i in TABLE_METRICS {
                    header.col(|ui| {
                        let ascending = (state.sort == Some(i)).then_some(!state.descending);
                        if sort_header(ui, view.theme, METRIC_NAMES[i], ascending) {
                            send(view, ModelAnalysisCommand::SortBy(Some(i)));
                        }
                    });
                }
                for class in &classes {
                    header.col(|ui| plain_header(ui, view.theme, &format!("recall {class}")));
                }
            })
            .body(|body| {
                body.rows(22.0, listed.len(), |mut row| {
                    let Some(r) = listed.get(row.index()) else { return };
                    let overall = r.slice == "Overall";
                    let small = analysis::is_small(r, state.min_count);
                    row.set_selected(state.slice.as_deref() == Some(r.slice.as_str()));
                    let regressed = delta_of(&r.slice).is_some_and(|d| d.regressed);
                    row.col(|ui| {
                        let color = if regressed {
                            view.theme.tone(Tone::Err)
                        } else if small {
                            p.text_weak
                        } else {
                            p.text_strong
                        };
                        let mut text = RichText::new(&r.slice).color(color);
                        if overall {
                            text = text.strong();
                        }
                        let label = ui.add(egui::Label::new(text).truncate());
                        if small {
                            label
                                .on_hover_text(format!("{} examples: fewer than {}", r.metrics.count, state.min_count));
                        }
                    });
                    if comparing {
                        row.col(|ui| match delta_of(&r.slice) {
                            Some(d) if d.delta.is_finite() => {
                                let tone = if d.regressed {
                                    Tone::Err
                                } else if d.improved {
                                    Tone::Ok
                                } else {
                                    Tone::Neutral
                                };
                                let sign = if d.delta > 0.0 { "+" } else { "" };
                                let mark = if d.regressed {
                                    " worse"
                                } else if d.improved {
                                    " better"
                                } else {
                                    ""
                                };
                                let hint = match d.significant {
                                    Some(true) => "The intervals do not overlap: a real change.",
                                    Some(false) => "The intervals overlap: this may be noise.",
                                    None => "No intervals to tell noise from change.",
                                };
                                ui.label(
                                    RichText::new(format!("{sign}{:.3}{mark}", d.delta)).color(view.theme.tone(tone)),
                                )
                                .on_hover_text(hint);
                            }
                            _ => {
                                ui.label(RichText::new("—").color(p.text_weak));
                            }
                        });
                    }
                    for i in TABLE_METRICS {
                        row.col(|ui| {
                            let value = r.metrics.values()[i];
                            let color = if small { p.text_weak } else { p.text };
                            let label = ui.label(RichText::new(cell(value)).color(color));
                            if let (Some(lo), Some(hi)) = (r.lower, r.upper)
                                && lo.values()[i].is_finite()
                            {
                                label.on_hover_text(format!(
                                    "95% interval {} to {}",
                                    cell(lo.values()[i]),
                                    cell(hi.values()[i])
                                ));
                            }
                        });
                    }
                    for class in &classes {
                        row.col(|ui| {
                            let recall = r.per_class.iter().find(|c| &c.class == class);
                            let value = recall.map_or(f64::NAN, |c| c.recall);
                            let color = if small { p.text_weak } else { p.text };
                            let label = ui.label(RichText::new(cell(value)).color(color));
                            if let Some((lo, hi)) = recall.and_then(|c| c.lower.zip(c.upper)) {
                                label.on_hover_text(format!("95% interval {} to {}", cell(lo), cell(hi)));
                            }
                        });
                    }
                    if row.response().clicked() {
                        clicked = Some(r.slice.clone());
                    }
                });
            });
    });
    if let Some(slice) = clicked {
        let same = state.slice.as_deref() == Some(slice.as_str());
        send(view, ModelAnalysisCommand::SelectSlice(if same { None } else { Some(slice) }));
    }
}

fn charts(ui: &mut Ui, view: &ViewCtx<'_>, state: &ModelAnalysisState) {
    let p = view.theme.palette;
    let Some(shown) = state.shown() else { return };
    let families = analysis::families(&shown.rows);
    ui.horizontal(|ui| {
        section(ui, view.theme, "Slices of");
        let current = state.family.clone().unwrap_or_default();
        egui::ComboBox::new("family", "").selected_text(current.replace('&', " x ")).show_ui(ui, |ui| {
            for f in &families {
                if ui.selectable_label(state.family.as_ref() == Some(f), f.replace('&', " x ")).clicked() {
                    send(view, ModelAnalysisCommand::Family(f.clone()));
                }
            }
        });
    });
    match &state.chart {
        Some(chart) if !chart.bars.is_empty() => {
            if let Some(i) = slice_chart(ui, chart, view.theme) {
                let slice = state.chart_slices.get(i).cloned();
                let same = slice.is_some() && slice == state.slice;
                send(view, ModelAnalysisCommand::SelectSlice(if same { None } else { slice }));
            }
        }
        _ => {
            ui.label(
                RichText::new("Only the overall slice: compute with slice columns to compare slices.")
                    .color(p.text_weak),
            );
        }
    }
    if let Some(slice) = &state.slice
        && let Some(row) = shown.rows.iter().find(|r| &r.slice == slice)
    {
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            section(ui, view.theme, slice);
            if ui.small_button("Close").clicked() {
                send(view, ModelAnalysisCommand::SelectSlice(None));
            }
        });
        details(ui, view, state, row);
    }
    ui.add_space(8.0);
    match &state.history {
        Some(history) => {
            line_chart(ui, history, view.theme, 200.0, |v| format!("{v:.3}"));
            let labels: Vec<String> =
                state.history_labels.iter().enumerate().map(|(i, l)| format!("{}: {l}", i + 1)).collect();
            ui.horizontal(|ui| {
                ui.label(RichText::new(labels.join("  ·  ")).color(p.text_weak).size(11.0));
                if ui.small_button("Export history SVG…").clicked() {
                    let style = chart_style(view.theme);
                    view.commands.send(Command::ExportSlicesChart { history: true, format: ExportFormat::Svg, style });
                }
            });
        }
        None => {
            ui.label(
                RichText::new("One evaluation of this model: its history appears with the second.").color(p.text_weak),
            );
        }
    }
}

fn details(ui: &mut Ui, view: &ViewCtx<'_>, state: &ModelAnalysisState, row: &SliceRow) {
    let p = view.theme.palette;
    match analysis::confusion(&row.metrics) {
        Some(c) => confusion_matrix(ui, view.theme, &c),
        None => {
            ui.label(RichText::new("No confusion matrix: this slice's metrics leave it undefined.").color(p.text_weak));
        }
    }
    let has_examples = state.shown().is_some_and(|e| e.has_examples);
    if !has_examples {
        ui.label(
            RichText::new("ROC and calibration curves need the examples: open the per-example files.")
                .color(p.text_weak),
        );
        return;
    }
    match &state.curves {
        Loadable::Ready(curves) => {
            let roc = crate::charts::LineChart {
                title: format!("ROC, AUC {}", cell(row.metrics.auc)),
                x_label: "false positive rate".into(),
                y_label: "true positive rate".into(),
                series: vec![
                    crate::charts::Series { name: "ROC".into(), points: curves.roc.clone() },
                    crate::charts::Series { name: "chance".into(), points: vec![(0.0, 0.0), (1.0, 1.0)] },
                ],
                fill_first: true,
                fit_y: false,
                log_y: false,
            };
            let calibration = crate::charts::LineChart {
                title: "Calibration".into(),
                x_label: "mean predicted score".into(),
                y_label: "observed positive rate".into(),
                series: vec![
                    crate::charts::Series {
                        name: "model".into(),
                        points: curves.calibration.iter().map(|b| (b.mean_prediction, b.mean_label)).collect(),
                    },
                    crate::charts::Series { name: "perfect".into(), points: vec![(0.0, 0.0), (1.0, 1.0)] },
                ],
                fill_first: false,
                fit_y: false,
                log_y: false,
            };
            ui.columns(2, |cols| {
                line_chart(&mut cols[0], &roc, view.theme, 220.0, |v| format!("{v:.3}"));
                line_chart(&mut cols[1], &calibration, view.theme, 220.0, |v| format!("{v:.3}"));
            });
        }
        Loadable::Failed(e) => {
            ui.colored_label(view.theme.tone(Tone::Err), e);
        }
        _ => {
            ui.spinner();
        }
    }
}

fn confusion_matrix(ui: &mut Ui, theme: &Theme, c: &Confusion) {
    let p = theme.palette;
    let total = c.true_positives + c.false_positives + c.false_negatives + c.true_negatives;
    let share = |v: f64| if total > 0.0 { v / total * 100.0 } else { 0.0 };
    egui::Grid::new("confusion").num_columns(3).spacing([18.0, 4.0]).show(ui, |ui| {
        ui.label("");
        ui.label(RichText::new("predicted positive").color(p.text_weak).size(12.0));
        ui.label(RichText::new("predicted negative").color(p.text_weak).size(12.0));
        ui.end_row();
        let cells = [
            ("actually positive", c.true_positives, Tone::Ok, c.false_negatives, Tone::Err),
            ("actually negative", c.false_positives, Tone::Err, c.true_negatives, Tone::Ok),
        ];
        for (name, a, tone_a, b, tone_b) in cells {
            ui.label(RichText::new(name).color(p.text_weak).size(12.0));
            for (v, tone) in [(a, tone_a), (b, tone_b)] {
                let text = format!("{} ({:.1}%)", cell(v.round()), share(v));
                ui.label(RichText::new(text).color(theme.tone(tone)).strong());
            }
            ui.end_row();
        }
    });
}

fn setup_card(ui: &mut Ui, view: &ViewCtx<'_>, setup: &Setup, busy: bool) {
    let p = view.theme.palette;
    let mut s = setup.clone();
    crate::ui::views::empty_state::card(ui, view, |ui| {
        section(ui, view.theme, "Compute sliced metrics");
        let files: Vec<String> = s.files.paths.iter().map(|p| p.display().to_string()).collect();
        ui.label(RichText::new(files.join(", ")).color(p.text_weak).size(12.0));
        ui.add_space(6.0);
        let names: Vec<String> = s.columns.iter().map(|c| c.name.clone()).collect();
        egui::Grid::new("setup_grid").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
            column_pick(ui, "Label (0 or 1)", &mut s.files.label, &names, false);
            column_pick(ui, "Prediction (score)", &mut s.files.prediction, &names, false);
            column_pick(ui, "Weight", &mut s.files.weight, &names, true);
            ui.label("Slice by");
            ui.vertical(|ui| {
                let mut remove = None;
                for (i, spec) in s.files.slices.iter_mut().enumerate() {
                    ui.horizontal(|ui| {
                        let edit = ui.add(egui::TextEdit::singleline(spec).desired_width(180.0));
                        edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Slice column"));
                        if ui.small_button("Remove").clicked() {
                            remove = Some(i);
                        }
                    });
                }
                if let Some(i) = remove {
                    s.files.slices.remove(i);
                }
                ui.horizontal(|ui| {
                    egui::ComboBox::new("add_slice", "").selected_text("Add a column").show_ui(ui, |ui| {
                        for c in &s.columns {
                            if ui.selectable_label(false, &c.name).clicked() {
                                let spec = if c.numeric && c.distinct > 12 {
                                    format!("{}:bins=4", c.name)
                                } else {
                                    c.name.clone()
                                };
                                s.files.slices.push(spec);
                            }
                        }
                    });
                    ui.label(RichText::new("COL, COL:bins=N or COL:edges=a,b,c").color(p.text_weak).size(11.0));
                });
            });
            ui.end_row();
            ui.label("Crosses");
            ui.vertical(|ui| {
                let mut remove = None;
                for (i, cross) in s.files.crosses.iter_mut().enumerate() {
                    ui.horizontal(|ui| {
                        let edit = ui.add(egui::TextEdit::singleline(cross).desired_width(180.0).hint_text("A,B"));
                        edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Cross"));
                        if ui.small_button("Remove").clicked() {
                            remove = Some(i);
                        }
                    });
                }
                if let Some(i) = remove {
                    s.files.crosses.remove(i);
                }
                let columns: Vec<String> =
                    s.files.slices.iter().map(|spec| spec.split(':').next().unwrap_or(spec).to_string()).collect();
                if columns.len() >= 2 && ui.small_button("Add a cross").clicked() {
                    s.files.crosses.push(format!("{},{}", columns[0], columns[1]));
                }
            });
            ui.end_row();
            ui.label("Threshold");
            ui.add(egui::Slider::new(&mut s.files.threshold, 0.0..=1.0).fixed_decimals(2));
            ui.end_row();
            ui.label("Bootstrap resamples");
            ui.horizontal(|ui| {
                ui.add(egui::DragValue::new(&mut s.files.bootstrap).range(0..=2000));
                ui.label("seed");
                ui.add(egui::DragValue::new(&mut s.files.seed));
                ui.label(RichText::new("0: no confidence intervals").color(p.text_weak).size(11.0));
            });
            ui.end_row();
            ui.label("Model and version");
            ui.horizontal(|ui| {
                ui.add(egui::TextEdit::singleline(&mut s.files.model).desired_width(140.0).hint_text("model"));
                ui.add(egui::TextEdit::singleline(&mut s.files.version).desired_width(60.0).hint_text("version"));
            });
            ui.end_row();
        });
        if let Some(e) = &s.error {
            ui.colored_label(view.theme.tone(Tone::Err), e);
        }
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            if ui.add_enabled(!busy, egui::Button::new("Compute")).clicked() {
                send(view, ModelAnalysisCommand::Compute);
            }
            if ui.button("Cancel").clicked() {
                send(view, ModelAnalysisCommand::CancelSetup);
            }
        });
    });
    if &s != setup {
        s.error = None;
        send(view, ModelAnalysisCommand::EditSetup(Box::new(s)));
    }
}

fn column_pick(ui: &mut Ui, label: &str, value: &mut String, names: &[String], optional: bool) {
    ui.label(label);
    let shown = if value.is_empty() { "none".to_string() } else { value.clone() };
    egui::ComboBox::new(label, "").selected_text(shown).show_ui(ui, |ui| {
        if optional && ui.selectable_label(value.is_empty(), "none").clicked() {
            value.clear();
        }
        for n in names {
            if ui.selectable_label(value == n, n).clicked() {
                *value = n.clone();
            }
        }
    });
    ui.end_row();
}
