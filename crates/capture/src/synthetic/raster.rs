//! A tiny RGB8 canvas with the few shapes a specimen card needs, and text from the public-domain
//! 8×8 bitmap font of `font8x8` (ASCII and Latin-1, so French accents), scaled up: no font file.

use font8x8::{UnicodeFonts, BASIC_FONTS, BOX_FONTS, LATIN_FONTS};

pub(crate) type Rgb = [u8; 3];

/// Width and height of one glyph cell before scaling.
pub(crate) const GLYPH: u32 = 8;

pub(crate) struct Canvas {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl Canvas {
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            pixels: vec![0; width as usize * height as usize * 3],
        }
    }

    pub fn get(&self, x: u32, y: u32) -> Rgb {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }

    /// Mixes `color` into one pixel with opacity `alpha` (0..=1); outside pixels are ignored so
    /// shapes may overhang the canvas.
    pub fn blend(&mut self, x: i64, y: i64, color: Rgb, alpha: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let alpha = alpha.clamp(0.0, 1.0);
        let i = (y as usize * self.width as usize + x as usize) * 3;
        for (dst, &src) in self.pixels[i..i + 3].iter_mut().zip(&color) {
            *dst = (f32::from(*dst) * (1.0 - alpha) + f32::from(src) * alpha).round() as u8;
        }
    }

    /// Sets every pixel from a function of its position.
    pub fn fill_with(&mut self, mut color_at: impl FnMut(u32, u32) -> Rgb) {
        let width = self.width as usize;
        for (i, px) in self.pixels.chunks_exact_mut(3).enumerate() {
            px.copy_from_slice(&color_at((i % width) as u32, (i / width) as u32));
        }
    }

    pub fn fill_rect(&mut self, x: i64, y: i64, w: i64, h: i64, color: Rgb, alpha: f32) {
        for yy in y..y + h {
            for xx in x..x + w {
                self.blend(xx, yy, color, alpha);
            }
        }
    }

    /// An ellipse with a one-pixel soft edge.
    pub fn fill_ellipse(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, color: Rgb, alpha: f32) {
        let (x0, x1) = ((cx - rx - 1.0).floor() as i64, (cx + rx + 1.0).ceil() as i64);
        let (y0, y1) = ((cy - ry - 1.0).floor() as i64, (cy + ry + 1.0).ceil() as i64);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let (dx, dy) = ((x as f32 + 0.5 - cx) / rx, (y as f32 + 0.5 - cy) / ry);
                // Distance to the edge in pixels, roughly: (r − 1) scaled by the smaller radius.
                let edge = (1.0 - (dx * dx + dy * dy).sqrt()) * rx.min(ry);
                let coverage = (edge + 0.5).clamp(0.0, 1.0);
                if coverage > 0.0 {
                    self.blend(x, y, color, alpha * coverage);
                }
            }
        }
    }

    /// A one-pixel curve through the points of `y_at(x)` for x in `x0..x1`.
    pub fn plot_curve(&mut self, x0: i64, x1: i64, color: Rgb, alpha: f32, y_at: impl Fn(f32) -> f32) {
        for x in x0..x1 {
            let y = y_at(x as f32);
            let (yi, frac) = (y.floor() as i64, y - y.floor());
            self.blend(x, yi, color, alpha * (1.0 - frac));
            self.blend(x, yi + 1, color, alpha * frac);
        }
    }

    /// Left-aligned text with its top-left corner at (x, y); returns the width drawn.
    pub fn text(&mut self, x: i64, y: i64, scale: u32, color: Rgb, text: &str) -> i64 {
        let step = i64::from(GLYPH * scale);
        let scale = i64::from(scale);
        for (n, c) in text.chars().enumerate() {
            let rows = glyph(c);
            let left = x + n as i64 * step;
            for (gy, row) in rows.iter().enumerate() {
                for gx in 0..8 {
                    if row >> gx & 1 == 1 {
                        let (px, py) = (left + gx * scale, y + gy as i64 * scale);
                        self.fill_rect(px, py, scale, scale, color, 1.0);
                    }
                }
            }
        }
        step * text.chars().count() as i64
    }

    /// Text centred on `at.centre`, turned by `at.angle` radians, mixed in with opacity
    /// `alpha`: each canvas pixel is mapped back into the text's own grid, so edges stay clean.
    pub fn text_rotated(&mut self, at: Placement, color: Rgb, alpha: f32, text: &str) {
        let Placement {
            centre: (cx, cy),
            scale,
            angle,
        } = at;
        let glyphs: Vec<[u8; 8]> = text.chars().map(glyph).collect();
        let (w, h) = (glyphs.len() as f32 * GLYPH as f32 * scale, GLYPH as f32 * scale);
        let (sin, cos) = angle.sin_cos();
        let reach = (w * w + h * h).sqrt() / 2.0 + 1.0;
        let (x0, x1) = ((cx - reach) as i64, (cx + reach) as i64);
        let (y0, y1) = ((cy - reach) as i64, (cy + reach) as i64);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
                // Rotate back by −angle into the text's frame, origin at its top-left.
                let u = dx * cos + dy * sin + w / 2.0;
                let v = -dx * sin + dy * cos + h / 2.0;
                if u < 0.0 || v < 0.0 || u >= w || v >= h {
                    continue;
                }
                let (gu, gv) = ((u / scale) as usize, (v / scale) as usize);
                let rows = glyphs[gu / GLYPH as usize];
                if rows[gv] >> (gu % GLYPH as usize) & 1 == 1 {
                    self.blend(x, y, color, alpha);
                }
            }
        }
    }
}

/// Where turned text goes: its centre, its scale (pixels per font pixel) and its angle.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement {
    pub centre: (f32, f32),
    pub scale: f32,
    pub angle: f32,
}

/// The 8×8 bitmap of a character: bit 0 of each row byte is the leftmost pixel. Characters the
/// font lacks fall back to a close one ('—' to a rule, others to '?').
pub(crate) fn glyph(c: char) -> [u8; 8] {
    let c = match c {
        '—' | '–' => '─',
        '’' => '\'',
        c => c,
    };
    BASIC_FONTS
        .get(c)
        .or_else(|| LATIN_FONTS.get(c))
        .or_else(|| BOX_FONTS.get(c))
        .or_else(|| BASIC_FONTS.get('?'))
        .unwrap_or([0; 8])
}

/// Interpolates two colours, `t` in 0..=1.
pub(crate) fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    [0, 1, 2].map(|i| (f32::from(a[i]) * (1.0 - t) + f32::from(b[i]) * t).round() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_capitals_with_accents_have_their_own_glyphs() {
        for c in ['É', 'È', 'Ê', 'À', 'Ç', 'Ô', 'Î', 'Ù', 'é', 'ç'] {
            assert_ne!(glyph(c), glyph('?'), "{c} must not fall back to '?'");
            assert_ne!(glyph(c), [0; 8], "{c} must draw something");
        }
        assert_ne!(glyph('—'), glyph('?'), "the em dash is drawn as a rule");
    }

    #[test]
    fn text_is_drawn_at_the_requested_scale() {
        let mut canvas = Canvas::new(40, 20);
        let width = canvas.text(0, 0, 2, [255, 255, 255], "I");
        assert_eq!(width, 16);
        let lit = canvas.pixels.chunks_exact(3).filter(|p| p[0] == 255).count();
        assert!(lit > 0 && lit % 4 == 0, "each font pixel becomes a 2×2 block");
    }
}
