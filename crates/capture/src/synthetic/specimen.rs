//! The learner's fictitious identity and the drawing of each specimen page in card space
//! (10 pixels per millimetre). Every page carries a large "SPECIMEN" mark and "DOCUMENT FICTIF":
//! it must read as a plausible practice card, never as a real document.

use super::mrz::MrzFields;
use super::raster::{mix, Canvas, Placement, Rgb, GLYPH};
use crate::{DocumentFormat, DocumentPage};
use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Card-space resolution: 10 px/mm gives 856 × 540 px for ID-1, finer than any frame it lands in.
pub(crate) const PX_PER_MM: f32 = 10.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecimenSex {
    Female,
    Male,
}

/// The fictitious person printed on the specimen: the data the learner typed in the form, so
/// that the photo and the form agree (or disagree, when a test wants them to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecimenIdentity {
    pub sex: SpecimenSex,
    pub given_names: Vec<String>,
    pub birth_name: String,
    pub usage_name: Option<String>,
    pub birth_date: NaiveDate,
    /// As printed, e.g. "PARIS 15E (75)".
    pub birth_place: String,
    /// ICAO three-letter code, e.g. "FRA".
    pub nationality: String,
    pub issue_date: NaiveDate,
    pub expiry_date: NaiveDate,
    /// The last characters of the document number (the rest is drawn from the seed); letters
    /// and digits, at most 9 are kept.
    pub document_number_ending: String,
}

impl SpecimenIdentity {
    /// A fictitious person for demos and tests.
    pub fn example() -> Self {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        Self {
            sex: SpecimenSex::Female,
            given_names: vec!["Maëlle".to_owned(), "Hélène".to_owned()],
            birth_name: "Exemple".to_owned(),
            usage_name: None,
            birth_date: date(1990, 2, 1),
            birth_place: "Nantes (44)".to_owned(),
            nationality: "FRA".to_owned(),
            issue_date: date(2023, 5, 10),
            expiry_date: date(2033, 5, 9),
            document_number_ending: "4242".to_owned(),
        }
    }

    /// The full 9-character document number: a seed-drawn prefix, then the learner's ending.
    pub fn document_number(&self, seed: u64) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
        let ending: String = self
            .document_number_ending
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let ending = &ending[ending.len().saturating_sub(9)..];
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6e75_6d62_6572);
        let prefix: String = (0..9 - ending.len())
            .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
            .collect();
        format!("{prefix}{ending}")
    }

    fn sex_letter(&self) -> char {
        match self.sex {
            SpecimenSex::Female => 'F',
            SpecimenSex::Male => 'M',
        }
    }
}

fn date_fr(date: NaiveDate) -> String {
    date.format("%d %m %Y").to_string()
}

struct Palette {
    from: Rgb,
    to: Rgb,
    ink: Rgb,
    label: Rgb,
    grayscale_photo: bool,
}

const VALUE_INK: Rgb = [22, 22, 32];
const MRZ_BAND: Rgb = [238, 238, 232];
const WATERMARK: Rgb = [205, 30, 45];

fn palette(page: DocumentPage) -> Palette {
    match page {
        DocumentPage::CniFront | DocumentPage::CniBack => Palette {
            from: [212, 225, 242],
            to: [242, 224, 230],
            ink: [28, 48, 120],
            label: [70, 88, 138],
            grayscale_photo: true,
        },
        DocumentPage::PassportPhotoPage => Palette {
            from: [236, 224, 238],
            to: [222, 232, 242],
            ink: [110, 30, 70],
            label: [120, 70, 100],
            grayscale_photo: false,
        },
        DocumentPage::TitreDeSejourFront | DocumentPage::TitreDeSejourBack => Palette {
            from: [218, 236, 224],
            to: [242, 236, 214],
            ink: [22, 92, 62],
            label: [70, 110, 90],
            grayscale_photo: false,
        },
    }
}

/// Draws one page in card space. Deterministic in (page, identity, seed).
pub(crate) fn render_page(page: DocumentPage, identity: &SpecimenIdentity, seed: u64) -> Canvas {
    let format = page.format();
    let (w_mm, h_mm) = format.size_mm();
    let mut card = Card {
        canvas: Canvas::new(
            (w_mm * PX_PER_MM).round() as u32,
            (h_mm * PX_PER_MM).round() as u32,
        ),
        palette: palette(page),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    card.background(&mut rng);
    let number = identity.document_number(seed);
    let id = identity;
    let names = id.given_names.join(", ");
    match page {
        DocumentPage::CniFront => {
            card.header("RÉPUBLIQUE FRANÇAISE", 4.0, 2.5, 3);
            card.header("CARTE NATIONALE D'IDENTITÉ / IDENTITY CARD", 4.0, 6.0, 2);
            card.tricolore(74.0, 2.5);
            card.portrait(4.0, 10.0, 25.0, 31.0, &mut rng);
            card.field(32.0, 10.0, 51.0, "NOM / Surname", &id.birth_name.to_uppercase());
            let usage = id.usage_name.as_deref().unwrap_or("").to_uppercase();
            card.field(32.0, 16.0, 51.0, "NOM D'USAGE / Usage name", &usage);
            card.field(32.0, 22.0, 51.0, "PRÉNOMS / Given names", &names);
            card.field(32.0, 28.0, 10.0, "SEXE", &id.sex_letter().to_string());
            card.field(43.0, 28.0, 15.0, "NATIONALITÉ", &id.nationality);
            card.field(62.0, 28.0, 21.0, "NÉ(E) LE", &date_fr(id.birth_date));
            card.field(32.0, 34.0, 51.0, "LIEU DE NAISSANCE", &id.birth_place);
            card.field(32.0, 40.0, 26.0, "N° DU DOCUMENT", &number);
            card.field(60.0, 40.0, 23.0, "EXPIRE LE", &date_fr(id.expiry_date));
            card.signature(4.0, 43.5, 24.0);
            card.footer(4.0, 50.5);
        }
        DocumentPage::CniBack | DocumentPage::TitreDeSejourBack => {
            let code = if page == DocumentPage::CniBack { "ID" } else { "IR" };
            card.field(4.0, 3.0, 55.0, "DATE DE DÉLIVRANCE", &date_fr(id.issue_date));
            card.field(4.0, 9.0, 55.0, "DÉLIVRÉ PAR", "PRÉFECTURE FICTIVE");
            if page == DocumentPage::TitreDeSejourBack {
                card.field(4.0, 15.0, 55.0, "LIEU DE NAISSANCE", &id.birth_place);
            }
            card.field(4.0, 21.0, 55.0, "MENTIONS", "SPÉCIMEN SANS VALEUR");
            card.data_matrix(63.0, 3.0, 19.0, &mut rng);
            card.footer(4.0, 28.5);
            card.mrz_band(32.5);
            let fields = mrz_fields(code, id, &number);
            card.mrz_lines(&fields.td1(), 35.0, 5.5);
        }
        DocumentPage::PassportPhotoPage => {
            card.header("RÉPUBLIQUE FRANÇAISE", 6.0, 3.0, 4);
            card.header("PASSEPORT / PASSPORT", 72.0, 3.5, 3);
            card.portrait(6.0, 12.0, 33.0, 42.0, &mut rng);
            card.field(44.0, 10.0, 12.0, "TYPE", "P");
            card.field(58.0, 10.0, 26.0, "CODE PAYS", "FRA");
            card.field(86.0, 10.0, 35.0, "PASSEPORT N°", &number);
            card.field(44.0, 16.5, 78.0, "NOM / Surname", &id.birth_name.to_uppercase());
            card.field(44.0, 23.0, 78.0, "PRÉNOMS / Given names", &names);
            card.field(44.0, 29.5, 40.0, "NATIONALITÉ", &id.nationality);
            card.field(86.0, 29.5, 35.0, "DATE DE NAISSANCE", &date_fr(id.birth_date));
            card.field(44.0, 36.0, 12.0, "SEXE", &id.sex_letter().to_string());
            card.field(58.0, 36.0, 63.0, "LIEU DE NAISSANCE", &id.birth_place);
            card.field(44.0, 42.5, 40.0, "DÉLIVRÉ LE", &date_fr(id.issue_date));
            card.field(86.0, 42.5, 35.0, "EXPIRE LE", &date_fr(id.expiry_date));
            card.field(44.0, 49.0, 78.0, "AUTORITÉ", "PRÉFECTURE FICTIVE");
            card.signature(6.0, 56.0, 30.0);
            card.footer(44.0, 57.5);
            card.mrz_band(66.0);
            let fields = mrz_fields("P", id, &number);
            card.mrz_lines(&fields.td3(), 70.0, 7.0);
        }
        DocumentPage::TitreDeSejourFront => {
            card.header("RÉPUBLIQUE FRANÇAISE", 4.0, 2.5, 3);
            card.header("TITRE DE SÉJOUR / RESIDENCE PERMIT", 4.0, 6.0, 2);
            card.tricolore(74.0, 2.5);
            card.portrait(4.0, 10.0, 25.0, 31.0, &mut rng);
            card.field(32.0, 10.0, 51.0, "NOM / Surname", &id.birth_name.to_uppercase());
            card.field(32.0, 16.0, 51.0, "PRÉNOMS / Given names", &names);
            card.field(32.0, 22.0, 10.0, "SEXE", &id.sex_letter().to_string());
            card.field(43.0, 22.0, 15.0, "NATIONALITÉ", &id.nationality);
            card.field(62.0, 22.0, 21.0, "NÉ(E) LE", &date_fr(id.birth_date));
            card.field(32.0, 28.0, 51.0, "TYPE DE TITRE", "CARTE DE RÉSIDENT");
            card.field(32.0, 34.0, 26.0, "N° DU TITRE", &number);
            card.field(60.0, 34.0, 23.0, "VALABLE JUSQU'AU", &date_fr(id.expiry_date));
            card.signature(4.0, 43.5, 24.0);
            card.footer(4.0, 50.5);
        }
    }
    card.watermark(format);
    card.canvas
}

fn mrz_fields<'a>(code: &'a str, id: &'a SpecimenIdentity, number: &'a str) -> MrzFields<'a> {
    MrzFields {
        document_code: code,
        issuer: "FRA",
        document_number: number,
        birth_date: id.birth_date,
        sex: id.sex_letter(),
        expiry_date: id.expiry_date,
        nationality: &id.nationality,
        optional_data: "",
        surname: &id.birth_name,
        given_names: &id.given_names,
    }
}

struct Card {
    canvas: Canvas,
    palette: Palette,
}

fn px(mm: f32) -> i64 {
    (mm * PX_PER_MM).round() as i64
}

impl Card {
    /// Diagonal colour gradient crossed by fine wavy lines (the guilloche of real cards).
    fn background(&mut self, rng: &mut ChaCha8Rng) {
        let (from, to) = (self.palette.from, self.palette.to);
        let (w, h) = (self.canvas.width as f32, self.canvas.height as f32);
        self.canvas
            .fill_with(|x, y| mix(from, to, (x as f32 / w * 0.7 + y as f32 / h * 0.3).min(1.0)));
        let line = mix(from, self.palette.ink, 0.35);
        let width = i64::from(self.canvas.width);
        for k in 0..18 {
            let base = h * (k as f32 + 0.5) / 18.0;
            let phase: f32 = rng.gen_range(0.0..std::f32::consts::TAU);
            let wavelength: f32 = rng.gen_range(90.0..160.0);
            let amplitude: f32 = rng.gen_range(6.0..14.0);
            self.canvas.plot_curve(0, width, line, 0.35, |x| {
                base + amplitude * (x / wavelength * std::f32::consts::TAU + phase).sin()
            });
        }
    }

    fn header(&mut self, text: &str, x: f32, y: f32, scale: u32) {
        let ink = self.palette.ink;
        self.canvas.text(px(x), px(y), scale, ink, text);
    }

    fn tricolore(&mut self, x: f32, y: f32) {
        let colors: [Rgb; 3] = [[0, 35, 149], [242, 242, 242], [237, 41, 57]];
        for (i, color) in colors.into_iter().enumerate() {
            self.canvas
                .fill_rect(px(x + 3.0 * i as f32), px(y), px(3.0), px(4.0), color, 1.0);
        }
    }

    /// A label in small capitals and its value below, shrunk then cut to fit `width` mm.
    fn field(&mut self, x: f32, y: f32, width: f32, label: &str, value: &str) {
        let label_ink = self.palette.label;
        self.canvas.text(px(x), px(y), 2, label_ink, label);
        let room = px(width);
        let chars = value.chars().count() as i64;
        let scale = if chars * i64::from(GLYPH * 3) <= room {
            3
        } else {
            2
        };
        let fits = (room / i64::from(GLYPH * scale)).max(0) as usize;
        let shown: String = value.chars().take(fits).collect();
        self.canvas.text(px(x), px(y + 1.9), scale, VALUE_INK, &shown);
    }

    /// A fictitious face: a drawing, never a photograph, in seed-chosen tones.
    fn portrait(&mut self, x: f32, y: f32, w: f32, h: f32, rng: &mut ChaCha8Rng) {
        const SKINS: [Rgb; 5] = [
            [234, 200, 176],
            [214, 170, 136],
            [176, 124, 90],
            [132, 88, 62],
            [98, 66, 48],
        ];
        const HAIRS: [Rgb; 5] = [
            [40, 30, 26],
            [88, 58, 36],
            [150, 110, 60],
            [30, 30, 34],
            [120, 116, 112],
        ];
        let gray = |c: Rgb| -> Rgb {
            let l = (u32::from(c[0]) * 77 + u32::from(c[1]) * 150 + u32::from(c[2]) * 29) >> 8;
            [l as u8; 3]
        };
        let tone = |c: Rgb| if self.palette.grayscale_photo { gray(c) } else { c };
        let skin = tone(SKINS[rng.gen_range(0..SKINS.len())]);
        let hair = tone(HAIRS[rng.gen_range(0..HAIRS.len())]);
        let backdrop = tone([196, 202, 210]);
        let jacket = tone([52, 56, 70]);
        let (x0, y0) = (px(x), px(y));
        // Drawn on its own canvas, then pasted: shoulders and hair stay inside the box.
        let mut c = Canvas::new(px(w) as u32, px(h) as u32);
        let (pw, ph) = (c.width as f32, c.height as f32);
        c.fill_rect(0, 0, c.width.into(), c.height.into(), backdrop, 1.0);
        let cx = pw / 2.0;
        c.fill_ellipse(cx, ph * 1.02, pw * 0.48, ph * 0.3, jacket, 1.0);
        c.fill_rect(
            (cx - pw * 0.09) as i64,
            (ph * 0.55) as i64,
            (pw * 0.18) as i64,
            (ph * 0.2) as i64,
            skin,
            1.0,
        );
        c.fill_ellipse(cx, ph * 0.36, pw * 0.27, ph * 0.26, hair, 1.0);
        c.fill_ellipse(cx, ph * 0.43, pw * 0.22, ph * 0.23, skin, 1.0);
        let eye = tone([40, 36, 40]);
        for side in [-1.0, 1.0] {
            c.fill_ellipse(cx + side * pw * 0.08, ph * 0.41, pw * 0.025, ph * 0.014, eye, 1.0);
        }
        c.fill_rect(
            (cx - pw * 0.06) as i64,
            (ph * 0.55) as i64,
            (pw * 0.12) as i64,
            2,
            tone([150, 80, 80]),
            0.8,
        );
        for y in 0..c.height {
            for x in 0..c.width {
                self.canvas
                    .blend(x0 + i64::from(x), y0 + i64::from(y), c.get(x, y), 1.0);
            }
        }
    }

    fn signature(&mut self, x: f32, y: f32, w: f32) {
        let label = self.palette.label;
        self.canvas.text(px(x), px(y), 2, label, "Signature");
        let base = px(y + 4.5) as f32;
        for offset in [0.0, 0.8] {
            self.canvas
                .plot_curve(px(x + 2.0), px(x + w), VALUE_INK, 0.9, |t| {
                    base + offset + 9.0 * (t / 11.0).sin() * (t / 37.0).cos() + 4.0 * (t / 4.3).sin()
                });
        }
    }

    fn footer(&mut self, x: f32, y: f32) {
        let label = self.palette.label;
        self.canvas
            .text(px(x), px(y), 2, label, "DOCUMENT FICTIF — BAC À SABLE IDN");
    }

    /// A square of seed-drawn modules in the style of a 2D-Doc seal (it encodes nothing).
    fn data_matrix(&mut self, x: f32, y: f32, size: f32, rng: &mut ChaCha8Rng) {
        const MODULES: i64 = 18;
        let (x0, y0) = (px(x), px(y));
        let module = px(size) / MODULES;
        self.canvas
            .fill_rect(x0, y0, module * MODULES, module * MODULES, [240, 240, 236], 1.0);
        for row in 0..MODULES {
            for col in 0..MODULES {
                let finder = col == 0 || row == MODULES - 1;
                let timing = (row == 0 || col == MODULES - 1) && (row + col) % 2 == 0;
                if finder || timing || rng.gen_bool(0.45) {
                    self.canvas.fill_rect(
                        x0 + col * module,
                        y0 + row * module,
                        module,
                        module,
                        VALUE_INK,
                        1.0,
                    );
                }
            }
        }
    }

    fn mrz_band(&mut self, y: f32) {
        let (w, h) = (i64::from(self.canvas.width), i64::from(self.canvas.height));
        let top = px(y);
        self.canvas.fill_rect(0, top, w, h - top, MRZ_BAND, 0.85);
    }

    fn mrz_lines(&mut self, lines: &[String], y: f32, spacing: f32) {
        let width = i64::from(self.canvas.width);
        for (i, line) in lines.iter().enumerate() {
            let drawn = line.len() as i64 * i64::from(GLYPH * 3);
            self.canvas.text(
                (width - drawn) / 2,
                px(y + spacing * i as f32),
                3,
                VALUE_INK,
                line,
            );
        }
    }

    /// The diagonal "SPECIMEN" mark and its subtitle, across the whole page.
    fn watermark(&mut self, format: DocumentFormat) {
        let (w, h) = (self.canvas.width as f32, self.canvas.height as f32);
        let angle = -(h / w).atan() * 0.8;
        let scale = w / 80.0;
        let (cx, cy) = (w / 2.0, h / 2.0);
        let mark = Placement {
            centre: (cx, cy),
            scale,
            angle,
        };
        self.canvas.text_rotated(mark, WATERMARK, 0.38, "SPECIMEN");
        // The subtitle sits under the mark, offset perpendicular to its baseline.
        let offset = GLYPH as f32 * scale * 0.95;
        let (sin, cos) = angle.sin_cos();
        let subtitle = Placement {
            centre: (cx - sin * offset, cy + cos * offset),
            scale: match format {
                DocumentFormat::Id1 => 3.2,
                DocumentFormat::PassportPage => 4.4,
            },
            angle,
        };
        self.canvas
            .text_rotated(subtitle, WATERMARK, 0.55, "SIMULATION — BAC À SABLE");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_number_ends_with_the_learners_ending_and_depends_on_the_seed() {
        let id = SpecimenIdentity::example();
        let number = id.document_number(1);
        assert_eq!(number.len(), 9);
        assert!(number.ends_with("4242"));
        assert_eq!(number, id.document_number(1), "deterministic from the seed");
        assert_ne!(number, id.document_number(2), "another seed, another prefix");
        let long = SpecimenIdentity {
            document_number_ending: "ab-1234567890".to_owned(),
            ..id
        };
        assert_eq!(long.document_number(1), "234567890", "at most 9 characters kept");
    }

    #[test]
    fn each_page_is_drawn_at_its_physical_aspect_ratio() {
        for page in DocumentPage::ALL {
            let canvas = render_page(page, &SpecimenIdentity::example(), 3);
            let ratio = canvas.width as f32 / canvas.height as f32;
            let expected = page.format().aspect_ratio();
            assert!(
                (ratio - expected).abs() < 0.005,
                "{page:?}: {ratio} vs {expected}"
            );
        }
    }
}
