//! Accelerator resources: which extended resources are GPUs, MIG slices, shared GPUs or FPGAs, and how to name them.

use serde::Serialize;

/// What kind of device an extended resource counts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum AcceleratorKind {
    NvidiaGpu,
    /// A MIG slice, with its profile (`1g.5gb`).
    NvidiaMig(String),
    /// A time-sliced (shared) NVIDIA GPU.
    NvidiaShared,
    AmdGpu,
    IntelGpu,
    Fpga,
}

impl AcceleratorKind {
    /// The kind of an extended resource name, or `None` for ordinary resources (cpu, memory, pods…).
    pub fn of(resource: &str) -> Option<Self> {
        if resource == "nvidia.com/gpu" {
            Some(Self::NvidiaGpu)
        } else if resource == "nvidia.com/gpu.shared" {
            Some(Self::NvidiaShared)
        } else if let Some(profile) = resource.strip_prefix("nvidia.com/mig-") {
            Some(Self::NvidiaMig(profile.to_string()))
        } else if resource == "amd.com/gpu" {
            Some(Self::AmdGpu)
        } else if resource.starts_with("gpu.intel.com/") {
            Some(Self::IntelGpu)
        } else if resource.starts_with("fpga.intel.com/") || resource.contains("fpga") {
            Some(Self::Fpga)
        } else {
            None
        }
    }

    /// A short label for columns: `GPU`, `MIG 1g.5gb`, `Shared GPU`, `AMD GPU`, `Intel GPU`, `FPGA`.
    pub fn label(&self) -> String {
        match self {
            Self::NvidiaGpu => "GPU".into(),
            Self::NvidiaMig(p) => format!("MIG {p}"),
            Self::NvidiaShared => "Shared GPU".into(),
            Self::AmdGpu => "AMD GPU".into(),
            Self::IntelGpu => "Intel GPU".into(),
            Self::Fpga => "FPGA".into(),
        }
    }

    /// Whether a device plugin of this vendor is what advertises the resource.
    pub fn vendor(&self) -> &'static str {
        match self {
            Self::NvidiaGpu | Self::NvidiaMig(_) | Self::NvidiaShared => "NVIDIA",
            Self::AmdGpu => "AMD",
            Self::IntelGpu | Self::Fpga => "Intel",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_map_to_kinds() {
        assert_eq!(AcceleratorKind::of("nvidia.com/gpu"), Some(AcceleratorKind::NvidiaGpu));
        assert_eq!(AcceleratorKind::of("nvidia.com/mig-3g.20gb"), Some(AcceleratorKind::NvidiaMig("3g.20gb".into())));
        assert_eq!(AcceleratorKind::of("amd.com/gpu"), Some(AcceleratorKind::AmdGpu));
        assert_eq!(AcceleratorKind::of("fpga.intel.com/af-695.d84.x"), Some(AcceleratorKind::Fpga));
        assert_eq!(AcceleratorKind::of("gpu.intel.com/i915"), Some(AcceleratorKind::IntelGpu));
        assert_eq!(AcceleratorKind::of("cpu"), None);
        assert_eq!(AcceleratorKind::NvidiaMig("1g.5gb".into()).label(), "MIG 1g.5gb");
    }
}
