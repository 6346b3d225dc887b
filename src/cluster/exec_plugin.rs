//! Credential plugins (`users[].user.exec`: aws, gke-gcloud-auth-plugin, kubelogin …) for a desktop app.
//!
//! A GUI started from a desktop menu gets a minimal `PATH`, so plugins that work in the user's terminal are "not
//! found". Before connecting, the plugin's command is resolved against the `PATH` and, if not found there, against
//! the `PATH` of the user's login shell — which is also handed to the plugin, since plugins run other tools (`aws`
//! calls Python, `gke-gcloud-auth-plugin` reads gcloud's config). The plugin never gets a terminal to prompt on, so
//! its stderr is captured and shown when it fails, with the exact command.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{ExecInteractiveMode, Kubeconfig};

/// How long the login shell may take to print its `PATH` (slow shell profiles exist).
const LOGIN_SHELL_TIMEOUT: Duration = Duration::from_secs(5);

/// The plugin a context's user runs, as the kubeconfig names it and as resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecPlugin {
    /// The command line as written in the kubeconfig (command and arguments).
    pub command_line: String,
    /// Where the command was found, if it was.
    pub resolved: Option<PathBuf>,
    /// The `PATH` searched.
    pub searched: String,
    /// The kubeconfig's `installHint`, if any.
    pub install_hint: Option<String>,
}

/// Finds `command` the way `execvp` would: a path with a slash is taken as is, a bare name is looked up in each
/// directory of `path`.
pub fn resolve(command: &str, path: &OsStr) -> Option<PathBuf> {
    if command.contains('/') {
        let p = PathBuf::from(command);
        return is_executable(&p).then_some(p);
    }
    std::env::split_paths(path).map(|dir| dir.join(command)).find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// The `PATH` that `shell` sets up as a login shell, or `None` if it cannot tell within a few seconds.
pub async fn login_shell_path(shell: &Path) -> Option<String> {
    let mut command = tokio::process::Command::new(shell);
    command
        .args(["-l", "-c", "printf '%s' \"$PATH\""])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(LOGIN_SHELL_TIMEOUT, command.output()).await.ok()?.ok()?;
    let path = String::from_utf8(output.stdout).ok()?;
    (output.status.success() && !path.trim().is_empty()).then(|| path.trim().to_string())
}

/// The user's login shell (`$SHELL`, else `/bin/sh`).
pub fn user_shell() -> PathBuf {
    std::env::var_os("SHELL").filter(|s| !s.is_empty()).map_or_else(|| PathBuf::from("/bin/sh"), PathBuf::from)
}

/// `first` followed by the entries of `second` that it lacks.
fn merged_path(first: &OsStr, second: &str) -> String {
    let mut dirs: Vec<PathBuf> = std::env::split_paths(first).collect();
    for dir in std::env::split_paths(second) {
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    std::env::join_paths(dirs).map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| second.to_string())
}

/// Prepares the exec plugin of `context`'s user, if it has one: resolves its command (consulting the login shell
/// only when the current `PATH` lacks it), hands it the merged `PATH`, and makes it non-interactive so its
/// stderr can be shown. Returns what was found, for error messages.
pub async fn prepare(kubeconfig: &mut Kubeconfig, context: &str, current_path: &OsStr) -> Option<ExecPlugin> {
    let user = kubeconfig.contexts.iter().find(|c| c.name == context)?.context.as_ref()?.user.clone()?;
    let exec = kubeconfig.auth_infos.iter_mut().find(|a| a.name == user)?.auth_info.as_mut()?.exec.as_mut()?;
    let command = exec.command.clone()?;
    let command_line = std::iter::once(command.clone()).chain(exec.args.iter().flatten().cloned()).collect::<Vec<_>>();
    exec.interactive_mode = Some(ExecInteractiveMode::Never);
    let mut searched = current_path.to_string_lossy().into_owned();
    let mut resolved = resolve(&command, current_path);
    if resolved.is_none() && !command.contains('/') {
        if let Some(login) = login_shell_path(&user_shell()).await {
            searched = merged_path(current_path, &login);
            resolved = resolve(&command, OsStr::new(&searched));
        }
        let sets_path = exec.env.iter().flatten().any(|e| e.get("name").is_some_and(|n| n == "PATH"));
        if !sets_path && searched != current_path.to_string_lossy() {
            let entry = [("name".to_string(), "PATH".to_string()), ("value".to_string(), searched.clone())];
            exec.env.get_or_insert_with(Vec::new).push(entry.into_iter().collect());
        }
    }
    if let Some(found) = &resolved {
        exec.command = Some(found.to_string_lossy().into_owned());
    }
    Some(ExecPlugin {
        command_line: shell_words(&command_line),
        resolved,
        searched,
        install_hint: exec.install_hint.clone(),
    })
}

/// Arguments joined for display, quoted where a shell would need it.
fn shell_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            if !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c)) {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The last lines of a plugin's stderr, enough to see why it failed without flooding the window.
pub fn stderr_tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(12)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        path
    }

    #[test]
    fn commands_resolve_like_execvp() {
        let dir = tempfile::tempdir().expect("temp dir");
        let plugin = script(dir.path(), "kubelogin", "exit 0");
        std::fs::write(dir.path().join("not-executable"), "x").expect("write");
        let path = std::env::join_paths([Path::new("/nonexistent"), dir.path()]).expect("path");
        assert_eq!(resolve("kubelogin", &path), Some(plugin.clone()));
        assert_eq!(resolve("not-executable", &path), None);
        assert_eq!(resolve(&plugin.to_string_lossy(), OsStr::new("")), Some(plugin));
        assert_eq!(resolve("kubelogin", OsStr::new("/nonexistent")), None);
    }

    #[tokio::test]
    async fn the_login_shell_path_is_read_and_a_broken_shell_gives_none() {
        let dir = tempfile::tempdir().expect("temp dir");
        // A stand-in login shell: it prints the PATH its profile would set.
        let shell = script(dir.path(), "fake-shell", "PATH=/opt/tools/bin:/usr/bin; eval \"$3\"");
        assert_eq!(login_shell_path(&shell).await.as_deref(), Some("/opt/tools/bin:/usr/bin"));
        let broken = script(dir.path(), "broken-shell", "exit 3");
        assert_eq!(login_shell_path(&broken).await, None);
        assert_eq!(login_shell_path(&dir.path().join("missing")).await, None);
    }

    #[test]
    fn paths_merge_without_duplicates_and_words_are_quoted() {
        assert_eq!(merged_path(OsStr::new("/usr/bin:/bin"), "/opt/x/bin:/usr/bin"), "/usr/bin:/bin:/opt/x/bin");
        let words = ["aws", "eks", "get-token", "--cluster-name", "my cluster"].map(String::from);
        assert_eq!(shell_words(&words), "aws eks get-token --cluster-name 'my cluster'");
        assert_eq!(stderr_tail(b"\n\nerror: token expired\n"), "error: token expired");
    }
}
