//! Kubernetes quantities (`resource.Quantity`): a number with an optional binary (`Ki` … `Ei`) or decimal (`n`, `u`,
//! `m`, `k`, `M` … `E`) suffix, or an exponent (`1e3`).

/// Suffixes and their factors; a negative factor divides, which is exact where multiplying by 0.001 is not
/// (31580m is 31580 / 1000 = 31.58 exactly as a float).
const SUFFIXES: &[(&str, f64)] = &[
    ("Ki", 1024.0),
    ("Mi", 1_048_576.0),
    ("Gi", 1_073_741_824.0),
    ("Ti", 1_099_511_627_776.0),
    ("Pi", 1_125_899_906_842_624.0),
    ("Ei", 1_152_921_504_606_846_976.0),
    ("n", -1e9),
    ("u", -1e6),
    ("m", -1e3),
    ("k", 1e3),
    ("M", 1e6),
    ("G", 1e9),
    ("T", 1e12),
    ("P", 1e15),
    ("E", 1e18),
];

/// Parses a quantity into base units (cores, bytes, devices). `None` if it is not a quantity.
pub fn parse(text: &str) -> Option<f64> {
    let text = text.trim();
    for (suffix, factor) in SUFFIXES {
        if let Some(number) = text.strip_suffix(suffix) {
            let n = number_part(number)?;
            return Some(if *factor < 0.0 { n / -factor } else { n * factor });
        }
    }
    number_part(text)
}

/// The numeric part: a plain decimal with an optional sign and exponent; no `inf`, `NaN` or hex.
fn number_part(text: &str) -> Option<f64> {
    let plain = text.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '+' | '-' | 'e' | 'E'));
    if text.is_empty() || !plain || !text.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A quantity as the API server prints it in quota messages: whole numbers plain, fractions of a core in millis,
/// memory and storage in the largest binary unit that divides them (`resource` names which).
pub fn format(resource: &str, v: f64) -> String {
    if resource.ends_with("memory") || resource.ends_with("storage") {
        for (unit, size) in [("Ti", 1u64 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)] {
            let n = v / size as f64;
            if v > 0.0 && n.fract() == 0.0 {
                return format!("{n}{unit}");
            }
        }
    }
    if v.fract() == 0.0 { format!("{v}") } else { format!("{}m", (v * 1000.0).round()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_as_the_api_server_reads_them() {
        for (text, value) in [
            ("250m", 0.25),
            ("31580m", 31.58),
            ("500m", 0.5),
            ("2", 2.0),
            ("1.5", 1.5),
            ("16Gi", 17_179_869_184.0),
            ("128974848", 128_974_848.0),
            ("129e6", 129e6),
            ("129M", 129e6),
            ("123Mi", 128_974_848.0),
            ("1e3", 1000.0),
            ("100n", 1e-7),
            ("10u", 1e-5),
            ("1k", 1000.0),
            ("2Ki", 2048.0),
            (" 4 ", 4.0),
        ] {
            assert_eq!(parse(text), Some(value), "{text}");
        }
        for bad in ["", "x", "Gi", "1.5.5", "inf", "NaN", "1Xi", "0x10", "--1"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
