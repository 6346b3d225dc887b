//! Templates → YAML text: minijinja with strict undefined (a typo in a variable is an error, not an empty
//! string), the stack-wide settings and the component's parameters in scope, and `image()` for the registry prefix.

use std::collections::BTreeMap;

use minijinja::{Environment, UndefinedBehavior, context};
use serde_json::Value;

use super::StackError;
use super::catalog::Component;
use super::params::Globals;

/// One rendered template.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedFile {
    pub component: String,
    /// `component/file.yaml`.
    pub path: String,
    pub text: String,
}

/// Renders every template of `component` with these values.
pub fn render(
    component: &Component,
    globals: &Globals,
    values: &BTreeMap<String, Value>,
) -> Result<Vec<RenderedFile>, StackError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Templates produce YAML: a line holding only a block tag (`{% if %}`) leaves nothing behind, and the final
    // newline stays.
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(|e| template_error(&e))?;
    env.set_syntax(syntax);
    let registry = globals.clone();
    env.add_function("image", move |image: String| registry.image(&image));
    // A Kubernetes quantity as a plain number (`500m` → 0.5, `8Gi` → 8589934592), for configs that want numbers.
    env.add_function("quantity", |q: String| {
        crate::resources::quantity::parse(&q).ok_or_else(|| {
            minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, format!("{q:?} is not a quantity"))
        })
    });
    for t in &component.templates {
        env.add_template(&t.path, &t.text).map_err(|e| template_error(&e))?;
    }
    let ctx = context! {
        namespace => &globals.namespace,
        registry => &globals.registry,
        storage_class => &globals.storage_class,
        gpu_resource => &globals.gpu_resource,
        params => minijinja::Value::from(minijinja::value::Serde(values)),
        component => context! { name => &component.spec.name, version => &component.spec.version },
    };
    let mut out = Vec::new();
    for t in &component.templates {
        let template = env.get_template(&t.path).map_err(|e| template_error(&e))?;
        let text = template.render(&ctx).map_err(|e| template_error(&e))?;
        out.push(RenderedFile { component: component.spec.name.clone(), path: t.path.clone(), text });
    }
    Ok(out)
}

fn template_error(e: &minijinja::Error) -> StackError {
    let place = match (e.name(), e.line()) {
        (Some(name), Some(line)) => format!("{name}:{line}"),
        (Some(name), None) => name.to_string(),
        _ => "template".to_string(),
    };
    let detail = e.detail().map_or_else(|| e.kind().to_string(), |d| format!("{}: {d}", e.kind()));
    StackError::Template { place, detail }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::catalog::Catalog;

    fn component(template: &str) -> Component {
        let spec = "name: c\ntitle: T\ndescription: D\nversion: '1'\nparameters:\n- {name: size, type: integer, default: 2, description: d}\n";
        let catalog = Catalog::from_files(vec![(
            "c".into(),
            vec![("c/component.yaml".into(), spec.into()), ("c/t.yaml".into(), template.into())],
        )])
        .expect("catalog");
        catalog.components[0].clone()
    }

    #[test]
    fn renders_values_and_images_and_rejects_undefined_names() {
        let c = component("image: {{ image('kubeflow/x:1') }}\nns: {{ namespace }}\nsize: {{ params.size }}\n");
        let globals = Globals { registry: "mirror.local".into(), ..Default::default() };
        let values = BTreeMap::from([("size".to_string(), Value::from(3))]);
        let files = render(&c, &globals, &values).expect("renders");
        assert_eq!(files[0].text, "image: mirror.local/kubeflow/x:1\nns: kubeflow\nsize: 3\n");

        let typo = component("a: 1\nb: {{ params.sise }}\n");
        let err = render(&typo, &globals, &values).expect_err("undefined");
        assert!(err.to_string().starts_with("c/t.yaml:2:"), "{err}");
        assert!(err.to_string().contains("undefined"), "{err}");
        let broken = component("a: {% if %}\n");
        assert!(render(&broken, &globals, &values).expect_err("syntax").to_string().contains("c/t.yaml:1"));
    }
}
