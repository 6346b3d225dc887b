//! Files written for the user: charts as SVG or PNG, with a save dialog when no path is given.

use std::path::PathBuf;

use super::Outbox;
use crate::charts::{Chart, ChartStyle, ExportFormat, export};
use crate::state::protocol::{ExportEvent, ExportRequest};

pub(super) fn handle(request: ExportRequest, outbox: Outbox) {
    match request {
        ExportRequest::Chart { chart, style, format, path } => {
            tokio::spawn(export_chart(chart, style, format, path, outbox));
        }
    }
}

async fn export_chart(chart: Chart, style: ChartStyle, format: ExportFormat, path: Option<PathBuf>, outbox: Outbox) {
    let path = match path {
        Some(path) => path,
        None => {
            let dialog = rfd::AsyncFileDialog::new()
                .set_title("Export chart")
                .set_file_name(format!("bosun-chart.{}", format.extension()))
                .add_filter(format.label(), &[format.extension()]);
            match dialog.save_file().await {
                Some(file) => file.path().to_path_buf(),
                None => return, // cancelled by the user
            }
        }
    };
    let result =
        tokio::task::spawn_blocking(move || export::write(&chart, &style, (1200, 600), format, &path).map(|()| path))
            .await;
    outbox.send(match result {
        Ok(Ok(path)) => ExportEvent::Saved(path),
        Ok(Err(e)) => ExportEvent::Failed(e.to_string()),
        Err(e) => ExportEvent::Failed(e.to_string()),
    });
}
