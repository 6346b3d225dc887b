//! The JSONPath subset used by printer columns: `.a.b`, `.a[0]`, `.a[-1:]`, `.a[*].b` and `.a[?(@.k=="v")].b`.

use serde_json::Value;

#[derive(Debug, PartialEq)]
enum Step {
    Field(String),
    Index(i64),
    LastSlice,
    All,
    Filter(String, String),
}

fn parse(path: &str) -> Vec<Step> {
    let path = path.trim().trim_start_matches('{').trim_end_matches('}');
    let mut steps = Vec::new();
    let mut rest = path.strip_prefix('$').unwrap_or(path);
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end > 0 {
                steps.push(Step::Field(r[..end].to_string()));
            }
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else { break };
            let inner = &r[..end];
            let step = if inner == "*" {
                Step::All
            } else if inner.ends_with(':') {
                Step::LastSlice
            } else if let Some(filter) = inner.strip_prefix("?(@.").and_then(|f| f.strip_suffix(')')) {
                let (k, v) = filter.split_once("==").unwrap_or((filter, ""));
                Step::Filter(k.trim().to_string(), v.trim().trim_matches(['"', '\'']).to_string())
            } else if let Ok(i) = inner.parse::<i64>() {
                Step::Index(i)
            } else {
                Step::Field(inner.trim_matches(['"', '\'']).to_string())
            };
            steps.push(step);
            rest = &r[end + 1..];
        } else {
            break;
        }
    }
    steps
}

/// All values the path selects, in order.
pub fn select<'a>(value: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut current = vec![value];
    for step in parse(path) {
        let mut next = Vec::new();
        for v in current {
            match (&step, v) {
                (Step::Field(f), Value::Object(m)) => next.extend(m.get(f)),
                (Step::Index(i), Value::Array(a)) => {
                    let idx = if *i < 0 { a.len() as i64 + i } else { *i };
                    next.extend(usize::try_from(idx).ok().and_then(|i| a.get(i)));
                }
                (Step::LastSlice, Value::Array(a)) => next.extend(a.last()),
                (Step::All, Value::Array(a)) => next.extend(a.iter()),
                (Step::Filter(k, want), Value::Array(a)) => next.extend(a.iter().filter(|item| match item.get(k) {
                    Some(Value::String(s)) => s == want,
                    Some(other) => serde_json::from_str::<Value>(want).ok().as_ref() == Some(other),
                    None => false,
                })),
                _ => {}
            }
        }
        current = next;
    }
    current
}

/// The selected values joined as text, as a printer column cell shows them.
pub fn cell_text(value: &Value, path: &str) -> String {
    select(value, path)
        .into_iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn printer_column_paths() {
        let job = json!({"status": {"conditions": [{"type": "Created", "status": "True"}, {"type": "Running", "status": "True"}],
            "replicaStatuses": {"Worker": {"active": 2}}}, "spec": {"ports": [{"port": 80}, {"port": 443}]}});
        assert_eq!(cell_text(&job, ".status.conditions[-1:].type"), "Running");
        assert_eq!(cell_text(&job, ".status.conditions[0].type"), "Created");
        assert_eq!(cell_text(&job, ".status.conditions[?(@.type==\"Running\")].status"), "True");
        assert_eq!(cell_text(&job, ".status.replicaStatuses.Worker.active"), "2");
        assert_eq!(cell_text(&job, ".spec.ports[*].port"), "80,443");
        assert_eq!(cell_text(&job, "{.missing}"), "");
    }
}
