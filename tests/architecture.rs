//! The module table in ARCHITECTURE.md is the law of the house: this test reads the table and fails when a module
//! of `src/` imports a module the table does not allow, or uses an outside crate the table rules out ("no egui").
//! It works on the text (grep-level), which is enough to keep the layers honest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What one row of the table says a module may use.
#[derive(Debug)]
struct Rule {
    /// `None`: everything.
    modules: Option<BTreeSet<String>>,
    /// Outside crates ruled out by "no X".
    forbidden_crates: Vec<String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The words between backticks in `text`.
fn backticked(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

/// The "Modules and what they may use" table: module → rule.
fn rules() -> BTreeMap<String, Rule> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md is readable");
    let section = text.split("## Modules and what they may use").nth(1).expect("the modules section exists");
    let mut rules = BTreeMap::new();
    for line in section.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let [module, _purpose, may_use] = cells[..] else { panic!("a table row has three cells: {line}") };
        let Some(module) = backticked(module).into_iter().next() else { continue }; // header and rule lines
        let (allowed, forbidden) = may_use.split_once('—').unwrap_or((may_use, ""));
        let modules = (!allowed.contains("everything")).then(|| backticked(allowed).into_iter().collect());
        let forbidden_crates = forbidden
            .split(',')
            .filter_map(|part| part.trim().strip_prefix("no "))
            .map(|name| name.trim().trim_matches('`').to_string())
            .collect();
        rules.insert(module, Rule { modules, forbidden_crates });
    }
    assert!(!rules.is_empty(), "the table has rows");
    rules
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source folder is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`src/state/install.rs` → `state`).
fn module_of(path: &Path) -> String {
    let relative = path.strip_prefix(root().join("src")).expect("under src");
    let first = relative.components().next().expect("non-empty").as_os_str().to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The code of a file without its comments (so docs may mention anything); lines are kept, so offsets still
/// map to line numbers.
fn code_of(text: &str) -> String {
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The crate modules `code` reaches, with the byte offset of each: `crate::x`, and each name of
/// `crate::{x, y::{z, w}}` (a group may span lines).
fn crate_modules(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        // `kubesim::...` or `some_crate::` are other crates: only a standalone `crate::` counts.
        if code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[i + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                found.extend(top_level_items(group).into_iter().filter_map(|p| ident(p.trim())).map(|m| (i, m)))
            }
            None => found.extend(ident(rest).map(|m| (i, m))),
        }
    }
    found
}

/// The comma-separated items of a `{…}` group (the text after its `{`), nested groups kept whole.
fn top_level_items(group: &str) -> Vec<&str> {
    let (mut items, mut depth, mut start) = (Vec::new(), 0usize, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

fn ident(text: &str) -> Option<String> {
    let name: String = text.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    (!name.is_empty()).then_some(name)
}

/// Whether the line uses the outside crate `name`: a path that starts with `name::`.
fn uses_crate(line: &str, name: &str) -> bool {
    line.match_indices(&format!("{name}::"))
        .any(|(i, _)| !line[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':'))
}

#[test]
fn modules_import_only_what_the_architecture_table_allows() {
    let rules = rules();
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    files.sort();
    let top_level: BTreeSet<String> =
        files.iter().map(|f| module_of(f)).filter(|m| m != "lib" && m != "main").collect();
    let mut problems = Vec::new();
    for module in &top_level {
        if !rules.contains_key(module) {
            problems.push(format!("module `{module}` is missing from ARCHITECTURE.md's table"));
        }
    }
    for file in &files {
        let module = module_of(file);
        let Some(rule) = rules.get(&module) else { continue };
        let text = std::fs::read_to_string(file).expect("source is readable");
        let shown = file.strip_prefix(root()).unwrap_or(file).display().to_string();
        let code = code_of(&text);
        let line_of = |offset: usize| code[..offset].matches('\n').count() + 1;
        for (offset, used) in crate_modules(&code) {
            let allowed = used == module || rule.modules.as_ref().is_none_or(|m| m.contains(&used));
            if !allowed && top_level.contains(&used) {
                problems.push(format!("{shown}:{}: `{module}` may not use `{used}`", line_of(offset)));
            }
        }
        for (number, line) in code.lines().enumerate().map(|(i, l)| (i + 1, l)) {
            for name in &rule.forbidden_crates {
                if uses_crate(line, name) {
                    problems.push(format!("{shown}:{number}: `{module}` may not use {name}: {}", line.trim()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "imports against ARCHITECTURE.md:\n{}", problems.join("\n"));
}

#[test]
fn the_checker_sees_grouped_imports_and_ignores_other_crates() {
    let names = |code: &str| crate_modules(code).into_iter().map(|(_, m)| m).collect::<Vec<_>>();
    assert_eq!(names("use crate::{state::{self, Screen}, tone::Tone};"), ["state", "tone"]);
    assert_eq!(names("use crate::{\n    cluster::x,\n    ui::{a, b},\n};"), ["cluster", "ui"]);
    assert_eq!(names("let x = crate::cluster::connect::can_i(); kubesim::crate_x();"), ["cluster"]);
    assert!(names("use super::protocol::Event;").is_empty());
    assert!(uses_crate("    let rt = tokio::runtime::Builder::new();", "tokio"));
    assert!(!uses_crate("use plotters_backend::text_anchor;", "egui"));
    assert!(!uses_crate("use egui_extras::TableBuilder;", "egui"));
    assert!(uses_crate("use egui::Ui;", "egui"));
}
