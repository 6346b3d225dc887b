//! kubesim: a simulated Kubernetes cluster (filled by its own issue).
