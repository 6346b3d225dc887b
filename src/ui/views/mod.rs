//! The screens. Each screen is registered once in [`registry`]; [`show`] draws the open one.

pub mod capacity;
pub mod empty_state;
pub mod experiments;
pub mod install;
pub mod model_analysis;
pub mod nodes;
pub mod notebooks;
pub mod overview;
pub mod pods;
pub mod registry;
pub mod serving;
pub mod training;
pub mod workloads;

use egui::{RichText, Ui};

use crate::state::Screen;
use crate::ui::ViewCtx;

/// The screens' own UI state (filters, sorting, selection), kept across frames.
#[derive(Debug, Default)]
pub struct ScreenStates {
    pub nodes: nodes::NodesView,
    pub pods: pods::PodsView,
    pub install: install::InstallView,
    pub training: training::TrainingView,
    pub experiments: experiments::ExperimentsView,
    pub serving: serving::ServingView,
}

/// Draws the page of `screen`: its heading, then its content.
pub fn show(ui: &mut Ui, screen: Screen, view: &ViewCtx<'_>, states: &mut ScreenStates) {
    let info = registry::info(screen);
    let p = &view.theme.palette;
    ui.horizontal(|ui| {
        ui.label(RichText::new(info.icon).size(22.0));
        ui.heading(RichText::new(info.title).color(p.text_strong).strong());
    });
    ui.label(RichText::new(info.summary).color(p.text_weak));
    ui.add_space(14.0);
    match screen {
        Screen::Overview => overview::ui(ui, view),
        Screen::Nodes => nodes::ui(ui, view, &mut states.nodes),
        Screen::Pods => pods::ui(ui, view, &mut states.pods),
        Screen::Install => install::ui(ui, view, &mut states.install),
        Screen::Training => training::ui(ui, view, &mut states.training),
        Screen::Experiments => experiments::ui(ui, view, &mut states.experiments),
        Screen::Serving => serving::ui(ui, view, &mut states.serving),
        Screen::Notebooks => notebooks::ui(ui, view),
        Screen::ModelAnalysis => model_analysis::ui(ui, view),
    }
}
