//! What an install applies: the stack (a selection of components and settings) or a folder of plain YAML, which
//! goes through the same pipeline like `kubectl apply -f DIR -R`.

use std::path::{Path, PathBuf};

use super::{InstallError, plan_for};
use crate::stack::catalog::Catalog;
use crate::stack::params::Selection;
use crate::stack::plan::{self, Plan};
use crate::stack::record::InstallRecord;

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Stack(Selection),
    Folder(PathBuf),
}

/// The `.yaml`, `.yml` and `.json` files under `dir`, recursively, in path order.
pub fn read_yaml_folder(dir: &Path) -> Result<Vec<(String, String)>, InstallError> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|e| InstallError::Folder(format!("could not read {}: {e}", d.display())))?;
        for entry in entries {
            let path = entry.map_err(|e| InstallError::Folder(format!("could not read {}: {e}", d.display())))?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| InstallError::Folder(format!("could not read {}: {e}", path.display())))?;
                files.push((path.display().to_string(), text));
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(InstallError::Folder(format!("{} holds no .yaml, .yml or .json files", dir.display())));
    }
    Ok(files)
}

/// The name a folder install goes by (and its record is found by): the folder's own name, `.` resolved.
pub fn folder_name(dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    dir.file_name().map_or_else(|| "folder".into(), |n| n.to_string_lossy().into_owned())
}

/// The plan of `source` (merged with the existing install, for the stack); a folder's namespaced objects without
/// a namespace go to `default_namespace`, as with kubectl.
pub async fn plan_source(
    client: &kube::Client,
    catalog: &Catalog,
    source: &Source,
    globals_given: bool,
    default_namespace: &str,
) -> Result<(Plan, Option<InstallRecord>), InstallError> {
    match source {
        Source::Stack(selection) => plan_for(client, catalog, selection, globals_given).await,
        Source::Folder(dir) => {
            let dir = dir.clone();
            let files = tokio::task::spawn_blocking(move || read_yaml_folder(&dir).map(|f| (dir, f)))
                .await
                .map_err(|e| InstallError::Folder(e.to_string()))??;
            let (dir, files) = files;
            let name = folder_name(&dir);
            let mut plan = plan::plan_files(&name, &files)?;
            plan.selection.globals.namespace = default_namespace.to_string();
            Ok((plan, None))
        }
    }
}
