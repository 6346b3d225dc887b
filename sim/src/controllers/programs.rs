//! What a simulated container "runs": chosen from its image, command, arguments and environment, since nothing
//! is executed. Training containers print Katib-style metric lines whose curves depend on their hyperparameters,
//! so sweeps give different, plausible results.
//!
//! Knobs a manifest can set (as container env): `EPOCHS`, `LEARNING_RATE`/`LR`, `BATCH_SIZE`,
//! `KUBESIM_EPOCH_SECONDS` (simulated seconds per epoch), `KUBESIM_FAIL_AT_EPOCH` (exit 1 there),
//! `KUBESIM_EXIT_CODE` and `KUBESIM_RUN_SECONDS` (for plain batch containers).

use serde_json::Value;

use crate::meta;

#[derive(Debug, Clone, PartialEq)]
pub enum Program {
    /// Runs until stopped, printing `startup` lines first.
    Service { startup: Vec<String> },
    /// Runs for a while and exits.
    Batch { seconds: f64, exit_code: i32, lines: Vec<String> },
    /// A training loop printing one metrics line per epoch.
    Training(Training),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Training {
    pub epochs: u32,
    pub epoch_seconds: f64,
    pub learning_rate: f64,
    pub batch_size: f64,
    pub seed: u64,
    pub fail_at: Option<u32>,
    /// Whether this replica reports metrics (chief/master/worker-0) or only progress.
    pub reports_metrics: bool,
    pub framework: &'static str,
}

fn env_value(container: &Value, name: &str) -> Option<String> {
    container
        .get("env")
        .and_then(Value::as_array)?
        .iter()
        .find(|e| meta::str_at(e, "/name") == name)
        .map(|e| meta::str_at(e, "/value").to_string())
}

/// The value of a `--flag=value` or `--flag value` argument among the command and args.
fn arg_value(words: &[String], flags: &[&str]) -> Option<String> {
    for (i, w) in words.iter().enumerate() {
        for f in flags {
            if let Some(v) = w.strip_prefix(&format!("{f}=")) {
                return Some(v.to_string());
            }
            if w == f {
                return words.get(i + 1).cloned();
            }
        }
    }
    None
}

fn words(container: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for field in ["command", "args"] {
        for w in container.get(field).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            out.extend(w.split_whitespace().map(str::to_string));
        }
    }
    out
}

/// The lines a `sh -c` script's `echo` statements print, with the shell's quoting: statements split at `;`, `&&`
/// and newlines outside quotes; `'…'` kept verbatim, `"…"` with its backslash escapes. `None` without a script.
fn echoed(container: &Value) -> Option<Vec<String>> {
    let mut parts = ["command", "args"]
        .iter()
        .flat_map(|f| container.get(*f).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str));
    parts.by_ref().find(|w| *w == "-c")?;
    let script = parts.next()?;
    let mut statements: Vec<Vec<String>> = vec![Vec::new()];
    let mut word: Option<String> = None;
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    w.push(q);
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        _ => w.push(q),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            ';' | '\n' => {
                statements.last_mut()?.extend(word.take());
                statements.push(Vec::new());
            }
            '&' if chars.peek() == Some(&'&') => {
                chars.next();
                statements.last_mut()?.extend(word.take());
                statements.push(Vec::new());
            }
            c if c.is_whitespace() => statements.last_mut()?.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    statements.last_mut()?.extend(word.take());
    Some(statements.into_iter().filter(|s| s.first().is_some_and(|w| w == "echo")).map(|s| s[1..].join(" ")).collect())
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn number(v: Option<String>) -> Option<f64> {
    v.and_then(|s| s.trim().parse::<f64>().ok()).filter(|n| n.is_finite())
}

impl Program {
    /// Picks the behaviour of one container of a pod.
    pub fn for_container(pod: &Value, container: &Value) -> Program {
        let image = meta::str_at(container, "/image");
        let ws = words(container);
        let restart = meta::str_at(pod, "/spec/restartPolicy");
        let name = meta::name(pod);
        let image_name = image.rsplit('/').next().unwrap_or(image).split([':', '@']).next().unwrap_or_default();
        if image.contains("k8s-device-plugin") {
            let vendor = if image.contains("rocm/") { "AMD" } else { "NVIDIA" };
            return Program::Service {
                startup: vec![
                    format!("Starting {vendor} device plugin"),
                    "Retrieving plugins.".into(),
                    "Starting GRPC server for resource".into(),
                    "Registered device plugin with Kubelet".into(),
                ],
            };
        }
        if image_name == "training-operator" || image_name.ends_with("training-operator") {
            return Program::Service {
                startup: vec![
                    "starting manager".into(),
                    "attempting to acquire leader lease kubeflow/1ca428e5.training-operator.kubeflow.org...".into(),
                    "successfully acquired lease kubeflow/1ca428e5.training-operator.kubeflow.org".into(),
                    "Starting Controller controller=tfjob-controller".into(),
                    "Starting Controller controller=pytorchjob-controller".into(),
                    "Starting workers controller=tfjob-controller worker count=1".into(),
                ],
            };
        }
        if image.contains("tensorflow/serving") {
            let model = arg_value(&ws, &["--model_name"])
                .or_else(|| env_value(container, "MODEL_NAME"))
                .unwrap_or_else(|| "model".into());
            return Program::Service {
                startup: vec![
                    format!(
                        "Building single TensorFlow model file config:  model_name: {model} model_base_path: /models/{model}"
                    ),
                    "Adding/updating models.".into(),
                    format!("(Re-)adding model: {model}"),
                    format!("Successfully reserved resources to load servable {{name: {model} version: 1}}"),
                    format!("Successfully loaded servable version {{name: {model} version: 1}}"),
                    "Running gRPC ModelServer at 0.0.0.0:8500 ...".into(),
                    "Exporting HTTP/REST API at:localhost:8501 ...".into(),
                ],
            };
        }
        if image.contains("jupyter") || image.contains("notebook") {
            let token = format!("{:016x}", hash(name));
            return Program::Service {
                startup: vec![
                    "[I ServerApp] Jupyter Server is running at:".into(),
                    format!("[I ServerApp] http://{name}:8888/lab?token={token}"),
                    "[I ServerApp] Use Control-C to stop this server and shut down all kernels.".into(),
                ],
            };
        }
        let training_labels = meta::label(pod, "training.kubeflow.org/job-name").is_some();
        let looks_like_training = training_labels
            || arg_value(&ws, &["--epochs"]).is_some()
            || env_value(container, "EPOCHS").is_some()
            || image.contains("train");
        if looks_like_training && restart != "Always" {
            let replica_type = meta::label(pod, "training.kubeflow.org/replica-type").unwrap_or("worker");
            let index = meta::label(pod, "training.kubeflow.org/replica-index").unwrap_or("0");
            let reports = !training_labels
                || matches!(replica_type, "chief" | "master")
                || (replica_type == "worker"
                    && index == "0"
                    && meta::label(pod, "training.kubeflow.org/job-role").is_none());
            let framework = if image.contains("pytorch")
                || image.contains("torch")
                || meta::str_at(container, "/name") == "pytorch"
            {
                "pytorch"
            } else {
                "tensorflow"
            };
            let job = meta::label(pod, "training.kubeflow.org/job-name").unwrap_or(name);
            return Program::Training(Training {
                epochs: number(
                    arg_value(&ws, &["--epochs", "--num-epochs", "--num_epochs"])
                        .or_else(|| env_value(container, "EPOCHS")),
                )
                .map_or(10, |e| e.clamp(1.0, 10_000.0) as u32),
                epoch_seconds: number(env_value(container, "KUBESIM_EPOCH_SECONDS")).unwrap_or(2.0).max(0.05),
                learning_rate: number(
                    arg_value(&ws, &["--lr", "--learning-rate", "--learning_rate"])
                        .or_else(|| env_value(container, "LEARNING_RATE"))
                        .or_else(|| env_value(container, "LR")),
                )
                .unwrap_or(0.01),
                batch_size: number(
                    arg_value(&ws, &["--batch-size", "--batch_size"]).or_else(|| env_value(container, "BATCH_SIZE")),
                )
                .unwrap_or(64.0)
                .max(1.0),
                seed: hash(job),
                fail_at: number(env_value(container, "KUBESIM_FAIL_AT_EPOCH")).map(|e| e as u32),
                reports_metrics: reports,
                framework,
            });
        }
        let exit_code = number(env_value(container, "KUBESIM_EXIT_CODE")).map(|c| c as i32).or_else(|| {
            ws.iter()
                .position(|w| w == "exit")
                .and_then(|i| ws.get(i + 1))
                .and_then(|c| c.trim_end_matches(';').parse().ok())
        });
        let sleep = ws
            .iter()
            .position(|w| w == "sleep")
            .and_then(|i| ws.get(i + 1))
            .map(|s| s.trim_end_matches(';').to_string());
        let run_seconds = number(env_value(container, "KUBESIM_RUN_SECONDS"));
        if restart == "Always"
            && exit_code.is_none()
            && run_seconds.is_none()
            && sleep.as_deref().is_none_or(|s| s == "infinity")
        {
            return Program::Service { startup: vec![format!("{image_name} started")] };
        }
        match sleep.as_deref() {
            Some("infinity") => Program::Service { startup: Vec::new() },
            _ => {
                let seconds = run_seconds.or_else(|| number(sleep)).unwrap_or(3.0);
                let echo: Vec<String> =
                    echoed(container).unwrap_or_default().into_iter().filter(|s| !s.is_empty()).collect();
                Program::Batch { seconds, exit_code: exit_code.unwrap_or(0), lines: echo }
            }
        }
    }
}

impl Training {
    /// How well the learning rate suits the model (1 at 0.01, falling off on a log scale).
    fn lr_quality(&self) -> f64 {
        let x = self.learning_rate.max(1e-9).log10() + 2.0;
        (-(x * x) / 1.5).exp()
    }

    /// Training loss after `epoch` epochs (1-based).
    pub fn loss(&self, epoch: u32) -> f64 {
        let mut rng = fastrand::Rng::with_seed(self.seed ^ u64::from(epoch).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let noise = (rng.f64() - 0.5) * 0.04 * (64.0 / self.batch_size).sqrt().min(3.0);
        if self.learning_rate > 0.5 {
            // Far too large a step: training diverges.
            return 2.3 + 0.35 * f64::from(epoch) + noise.abs();
        }
        let q = self.lr_quality();
        let rate = 0.08 + 0.5 * q;
        let floor = 0.06 + 0.3 * (1.0 - q);
        (floor + (2.3 - floor) * (-rate * f64::from(epoch)).exp() + noise).max(0.01)
    }

    /// The metrics line of one epoch, in the Katib stdout format.
    pub fn epoch_line(&self, epoch: u32) -> String {
        let loss = self.loss(epoch);
        let accuracy = (1.0 - loss / 2.5).clamp(0.05, 0.995);
        let val_loss = loss * 1.06 + 0.015;
        let val_accuracy = (accuracy - 0.012).clamp(0.05, 0.99);
        if self.reports_metrics {
            format!(
                "epoch={epoch} loss={loss:.4} accuracy={accuracy:.4} val_loss={val_loss:.4} val_accuracy={val_accuracy:.4}"
            )
        } else {
            format!("Epoch {epoch}/{}: synchronised gradients with the chief", self.epochs)
        }
    }

    pub fn startup_lines(&self) -> Vec<String> {
        vec![
            format!(
                "Using {} with learning_rate={} batch_size={} epochs={}",
                self.framework, self.learning_rate, self.batch_size, self.epochs
            ),
            "Loading dataset... 60000 training examples, 10000 validation examples".into(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(restart: &str, container: Value) -> (Value, Value) {
        let p =
            json!({"metadata": {"name": "p"}, "spec": {"restartPolicy": restart, "containers": [container.clone()]}});
        (p, container)
    }

    #[test]
    fn images_and_commands_choose_the_behaviour() {
        let (p, c) = pod("Always", json!({"image": "nvcr.io/nvidia/k8s-device-plugin:v0.17.0"}));
        assert!(matches!(Program::for_container(&p, &c), Program::Service { .. }));
        let script = r#"echo 'a {"b": "c; d"}'; echo "x \"y\"" && sleep 2; exit 3"#;
        let quoted = json!({"image": "busybox", "command": ["sh", "-c", script]});
        assert_eq!(echoed(&quoted).unwrap(), [r#"a {"b": "c; d"}"#, r#"x "y""#]);
        let escaped = json!({"command": ["sh", "-c", r"echo 'it'\''s'"]});
        assert_eq!(echoed(&escaped).unwrap(), ["it's"]);
        let (p, c) = pod("Never", json!({"image": "busybox", "command": ["sh", "-c", "echo hello; sleep 2; exit 3"]}));
        assert_eq!(
            Program::for_container(&p, &c),
            Program::Batch { seconds: 2.0, exit_code: 3, lines: vec!["hello".into()] }
        );
        let (p, c) = pod("Never", json!({"image": "ghcr.io/acme/train:1", "args": ["--epochs=5", "--lr", "0.1"]}));
        let Program::Training(t) = Program::for_container(&p, &c) else { panic!() };
        assert_eq!((t.epochs, t.learning_rate), (5, 0.1));
    }

    #[test]
    fn good_learning_rates_train_better_and_huge_ones_diverge() {
        let t = |lr: f64| Training {
            epochs: 20,
            epoch_seconds: 1.0,
            learning_rate: lr,
            batch_size: 64.0,
            seed: 7,
            fail_at: None,
            reports_metrics: true,
            framework: "tensorflow",
        };
        assert!(t(0.01).loss(20) < t(0.0001).loss(20));
        assert!(t(0.01).loss(20) < t(0.01).loss(1));
        assert!(t(1.0).loss(10) > t(1.0).loss(1));
        let line = t(0.01).epoch_line(3);
        assert!(line.starts_with("epoch=3 loss=") && line.contains(" accuracy="), "{line}");
    }
}
