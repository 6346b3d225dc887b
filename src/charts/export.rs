//! Exporting charts to files: the same chart function as on screen, drawn by plotters' SVG or bitmap backend.

use std::path::Path;

use plotters::prelude::*;

use super::{Chart, ChartError, ChartStyle, draw_chart};

/// File formats a chart can be saved as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Svg,
    Png,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Svg => "svg",
            Self::Png => "png",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Svg => "SVG image",
            Self::Png => "PNG image",
        }
    }
}

/// Renders the chart as an SVG document.
pub fn to_svg(chart: &Chart, style: &ChartStyle, size: (u32, u32)) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw_chart(&root, chart, style)?;
        root.present()?;
    }
    Ok(svg)
}

/// Renders the chart as PNG bytes.
pub fn to_png(chart: &Chart, style: &ChartStyle, (w, h): (u32, u32)) -> Result<Vec<u8>, ChartError> {
    let mut rgb = vec![0u8; (w as usize) * (h as usize) * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw_chart(&root, chart, style)?;
        root.present()?;
    }
    let image = image::RgbImage::from_raw(w, h, rgb).ok_or_else(|| ChartError("bitmap size mismatch".into()))?;
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| ChartError(e.to_string()))?;
    Ok(png)
}

/// Renders the chart in the given format and writes it to `path` atomically.
pub fn write(
    chart: &Chart,
    style: &ChartStyle,
    size: (u32, u32),
    format: ExportFormat,
    path: &Path,
) -> Result<(), ChartError> {
    let bytes = match format {
        ExportFormat::Svg => to_svg(chart, style, size)?.into_bytes(),
        ExportFormat::Png => to_png(chart, style, size)?,
    };
    crate::atomic_file::write_atomically(path, &bytes).map_err(|e| ChartError(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{chart, style};
    use super::*;

    #[test]
    fn svg_contains_the_series_and_title() {
        let svg = to_svg(&chart().into(), &style(), (400, 240)).unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("Frame time"));
        // The series is drawn as a red polyline.
        assert!(svg.contains("<polyline") && svg.contains("#FF0000"), "{svg}");
    }

    #[test]
    fn png_is_a_decodable_image_of_the_requested_size() {
        let png = to_png(&chart().into(), &style(), (320, 200)).unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!((img.width(), img.height()), (320, 200));
        // Some pixels carry the red series colour.
        assert!(img.to_rgb8().pixels().any(|p| p.0 == [255, 0, 0]));
    }

    #[test]
    fn write_reports_unwritable_paths() {
        let err = write(&chart().into(), &style(), (100, 100), ExportFormat::Svg, Path::new("/nonexistent/dir/c.svg"));
        assert!(err.unwrap_err().to_string().contains("/nonexistent/dir/c.svg"));
    }
}
