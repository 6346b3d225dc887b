//! Numbers printed as Python prints them (`repr(float)`), so `bosun tfevents -o csv` can be compared line by line
//! with what TensorBoard's Python loader prints for the same file.

/// `repr(x)` of a Python float: the shortest digits that read back as `x`, in positional notation when the decimal
/// exponent is in -4..16, else as `1e-05` / `1.5e+16`.
pub fn float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    // Rust's `{:e}` gives the same shortest digits: `d.ddde±x`.
    let sci = format!("{x:e}");
    let Some((mantissa, exp)) = sci.split_once('e') else { return sci };
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        let fixed = format!("{x}");
        if fixed.contains('.') { fixed } else { format!("{fixed}.0") }
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::float;

    #[test]
    fn like_python_repr() {
        let cases: &[(f64, &str)] = &[
            (0.1, "0.1"),
            (1.0, "1.0"),
            (-2.5, "-2.5"),
            (0.1_f32 as f64, "0.10000000149011612"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1.5e16, "1.5e+16"),
            (1e15, "1000000000000000.0"),
            (1_700_000_000.25, "1700000000.25"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
            (-0.0, "-0.0"),
        ];
        for (x, want) in cases {
            assert_eq!(float(*x), *want, "{x}");
        }
    }
}
