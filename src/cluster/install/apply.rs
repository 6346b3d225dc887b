//! Applying one object with server-side apply (field manager `bosun`), and the dry-run review that shows what an
//! apply would change.

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::Value;

use super::InstallError;
use crate::stack::objects::ManifestObject;
pub use crate::stack::report::{ObjectDiff, Outcome};

/// The field manager of everything Bosun applies.
pub const FIELD_MANAGER: &str = "bosun";

/// Annotation on a Secret template listing keys Bosun fills with random values once and keeps afterwards.
pub const GENERATE_KEYS: &str = "bosun.dev/generate-keys";

fn params(dry_run: bool) -> PatchParams {
    let p = PatchParams::apply(FIELD_MANAGER).force();
    if dry_run { p.dry_run() } else { p }
}

async fn live(api: &Api<DynamicObject>, name: &str) -> Result<Option<DynamicObject>, kube::Error> {
    api.get_opt(name).await
}

/// Fills the keys a Secret asks to have generated: kept from the live Secret when there, random otherwise. Fails
/// when the OS random generator does (never a predictable token) or the Secret's `data` is not a mapping.
pub fn fill_generated(value: &mut Value, live: Option<&DynamicObject>, source: &str) -> Result<(), InstallError> {
    let keys: Vec<String> = value
        .pointer(&format!("/metadata/annotations/{}", GENERATE_KEYS.replace('/', "~1")))
        .and_then(Value::as_str)
        .map(|k| k.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if keys.is_empty() || value.get("kind").and_then(Value::as_str) != Some("Secret") {
        return Ok(());
    }
    let live_data = live.and_then(|l| l.data.get("data")).cloned().unwrap_or(Value::Null);
    let Some(obj) = value.as_object_mut() else { return Ok(()) };
    let data = obj.entry("data").or_insert_with(|| Value::Object(Default::default()));
    if data.is_null() {
        *data = Value::Object(Default::default());
    }
    let Some(data) = data.as_object_mut() else {
        return Err(InstallError::Folder(format!("{source}: Secret data must be a mapping of keys to strings")));
    };
    for key in keys {
        let kept = live_data.get(&key).and_then(Value::as_str).map(str::to_string);
        let encoded = match kept {
            Some(kept) => kept,
            None => base64_encode(random_hex(32, getrandom::fill)?.as_bytes()),
        };
        data.insert(key, Value::from(encoded));
    }
    Ok(())
}

/// `bytes` random bytes as hex, from `fill` (the OS generator); its failure is the install's failure.
fn random_hex(bytes: usize, fill: impl Fn(&mut [u8]) -> Result<(), getrandom::Error>) -> Result<String, InstallError> {
    let mut buf = vec![0u8; bytes];
    fill(&mut buf).map_err(|e| InstallError::Random(e.to_string()))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn base64_encode(input: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(input)
}

/// Applies `value` (an object of `object`'s kind, namespace resolved) and says what changed.
pub async fn apply(
    api: &Api<DynamicObject>,
    object: &ManifestObject,
    value: &Value,
) -> Result<(Outcome, DynamicObject), InstallError> {
    let name = object.name();
    let before =
        live(api, name).await.map_err(|e| InstallError::from_kube(&format!("read {}", object.display()), e))?;
    let mut value = value.clone();
    fill_generated(&mut value, before.as_ref(), &object.source)?;
    let after = api
        .patch(name, &params(false), &Patch::Apply(&value))
        .await
        .map_err(|e| InstallError::from_kube(&format!("apply {} ({})", object.display(), object.source), e))?;
    // Compared by content, not resourceVersion: controllers update status between the read and the apply.
    let content = |o: &DynamicObject| comparable(serde_json::to_value(o).unwrap_or(Value::Null));
    let outcome = match &before {
        None => Outcome::Created,
        Some(b) if content(b) == content(&after) => Outcome::Unchanged,
        Some(_) => Outcome::Changed,
    };
    Ok((outcome, after))
}

/// Fields the server owns, removed before comparing live and would-be objects.
fn comparable(mut v: Value) -> Value {
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in ["managedFields", "resourceVersion", "generation", "uid", "creationTimestamp"] {
            // `generation` goes too: it moves only with the spec, which is compared anyway.
            meta.remove(k);
        }
    }
    if let Some(obj) = v.as_object_mut() {
        obj.remove("status");
    }
    v
}

fn yaml(v: &Value) -> String {
    serde_saphyr::to_string(v).unwrap_or_default()
}

/// What applying `value` would do, by a server-side dry run compared with the live object. Objects whose
/// namespace does not exist yet cannot be dry-run by the server; they are reported as new from the rendering.
pub async fn review(
    api: &Api<DynamicObject>,
    object: &ManifestObject,
    value: &Value,
    namespace_exists: bool,
) -> Result<ObjectDiff, InstallError> {
    let display = object.display();
    let mut diff = ObjectDiff {
        object: display.clone(),
        component: object.component.clone(),
        outcome: Outcome::Created,
        diff: String::new(),
    };
    let before = if namespace_exists {
        live(api, object.name()).await.map_err(|e| InstallError::from_kube(&format!("read {display}"), e))?
    } else {
        None
    };
    let mut value = value.clone();
    fill_generated(&mut value, before.as_ref(), &object.source)?;
    let would_be = if namespace_exists {
        let result = api
            .patch(object.name(), &params(true), &Patch::Apply(&value))
            .await
            .map_err(|e| InstallError::from_kube(&format!("dry-run apply {display} ({})", object.source), e))?;
        serde_json::to_value(result).unwrap_or(Value::Null)
    } else {
        value
    };
    let after_text = yaml(&comparable(would_be));
    match before {
        None => diff.diff = after_text.lines().map(|l| format!("+{l}\n")).collect(),
        Some(b) => {
            let before_text = yaml(&comparable(serde_json::to_value(b).unwrap_or(Value::Null)));
            if before_text == after_text {
                diff.outcome = Outcome::Unchanged;
            } else {
                diff.outcome = Outcome::Changed;
                diff.diff = similar::TextDiff::from_lines(&before_text, &after_text)
                    .unified_diff()
                    .context_radius(3)
                    .header("live", "after install")
                    .to_string();
            }
        }
    }
    Ok(diff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_kept_once_made() {
        let template = serde_json::json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "hub", "annotations": {GENERATE_KEYS: "proxy.token"}}});
        let mut first = template.clone();
        fill_generated(&mut first, None, "t.yaml:1").expect("filled");
        let token = first["data"]["proxy.token"].as_str().expect("generated").to_string();
        assert_eq!(token.len(), 88, "64 hex characters, base64-encoded");
        let live: DynamicObject = serde_json::from_value(first.clone()).expect("live");
        let mut second = template;
        fill_generated(&mut second, Some(&live), "t.yaml:1").expect("filled");
        assert_eq!(second["data"]["proxy.token"], token.as_str());
    }

    #[test]
    fn a_failing_random_generator_fails_the_install_instead_of_making_a_zero_token() {
        let broken = |_: &mut [u8]| Err(getrandom::Error::UNSUPPORTED);
        let err = random_hex(32, broken).expect_err("no token");
        assert!(matches!(err, InstallError::Random(_)), "{err}");
        assert!(err.to_string().contains("random generator failed"), "{err}");
    }

    #[test]
    fn a_secret_whose_data_is_not_a_mapping_is_an_error_naming_its_source() {
        let mut secret = serde_json::json!({"apiVersion": "v1", "kind": "Secret", "data": "x",
            "metadata": {"name": "s", "annotations": {GENERATE_KEYS: "token"}}});
        let err = fill_generated(&mut secret, None, "dir/s.yaml:3").expect_err("refused");
        assert_eq!(err.to_string(), "dir/s.yaml:3: Secret data must be a mapping of keys to strings");
    }
}
