//! The machine-readable zone (ICAO 9303) of the specimen: TD1 for cards (3 × 30 characters) and
//! TD3 for the passport page (2 × 44), with real check digits so that a tester's MRZ reader
//! agrees with the printed data.

use chrono::{Datelike, NaiveDate};

/// ICAO check digit: weights 7, 3, 1 over digit values (A = 10 … Z = 35, '<' = 0), modulo 10.
pub(crate) fn check_digit(field: &str) -> char {
    let sum: u32 = field
        .chars()
        .zip([7, 3, 1].iter().cycle())
        .map(|(c, w)| {
            let value = match c {
                '0'..='9' => c as u32 - '0' as u32,
                'A'..='Z' => c as u32 - 'A' as u32 + 10,
                _ => 0,
            };
            value * w
        })
        .sum();
    char::from_digit(sum % 10, 10).unwrap_or('0')
}

/// Upper-case ASCII letters, digits and '<' only: accents dropped (É → E), every other
/// character (space, hyphen, apostrophe) becomes the filler '<'.
pub(crate) fn transliterate(text: &str) -> String {
    text.chars()
        .flat_map(|c| c.to_uppercase())
        .map(|c| match c {
            'A'..='Z' | '0'..='9' => c,
            'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'A',
            'Ç' => 'C',
            'È' | 'É' | 'Ê' | 'Ë' => 'E',
            'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
            'Ñ' => 'N',
            'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'O',
            'Ù' | 'Ú' | 'Û' | 'Ü' => 'U',
            'Ý' | 'Ÿ' => 'Y',
            _ => '<',
        })
        .collect()
}

fn pad(text: &str, len: usize) -> String {
    let mut out: String = text.chars().take(len).collect();
    while out.chars().count() < len {
        out.push('<');
    }
    out
}

fn yymmdd(date: NaiveDate) -> String {
    format!(
        "{:02}{:02}{:02}",
        date.year().rem_euclid(100),
        date.month(),
        date.day()
    )
}

/// The fields of one MRZ, already in MRZ characters where it matters.
pub(crate) struct MrzFields<'a> {
    pub document_code: &'a str,
    pub issuer: &'a str,
    pub document_number: &'a str,
    pub birth_date: NaiveDate,
    pub sex: char,
    pub expiry_date: NaiveDate,
    pub nationality: &'a str,
    /// The personal number on a passport; left empty on cards.
    pub optional_data: &'a str,
    pub surname: &'a str,
    pub given_names: &'a [String],
}

impl MrzFields<'_> {
    fn name_field(&self, len: usize) -> String {
        let given: Vec<String> = self.given_names.iter().map(|g| transliterate(g)).collect();
        pad(
            &format!("{}<<{}", transliterate(self.surname), given.join("<")),
            len,
        )
    }

    /// Three lines of 30 characters (identity cards, residence permits).
    pub fn td1(&self) -> [String; 3] {
        let number = pad(&transliterate(self.document_number), 9);
        let upper = pad(
            &format!(
                "{}{}{}{}",
                pad(self.document_code, 2),
                pad(self.issuer, 3),
                number,
                check_digit(&number)
            ),
            30,
        );
        let (birth, expiry) = (yymmdd(self.birth_date), yymmdd(self.expiry_date));
        let middle_start = format!(
            "{birth}{}{}{expiry}{}{}",
            check_digit(&birth),
            self.sex,
            check_digit(&expiry),
            pad(self.nationality, 3)
        );
        let middle_open = pad(&middle_start, 29);
        // Composite: upper line 6–30, middle line 1–7, 9–15 and 19–29 (1-based).
        let composite_input = format!(
            "{}{}{}{}",
            &upper[5..30],
            &middle_open[0..7],
            &middle_open[8..15],
            &middle_open[18..29]
        );
        let middle = format!("{middle_open}{}", check_digit(&composite_input));
        [upper, middle, self.name_field(30)]
    }

    /// Two lines of 44 characters (passport data page).
    pub fn td3(&self) -> [String; 2] {
        let upper = pad(
            &format!(
                "{}{}{}",
                pad(self.document_code, 2),
                pad(self.issuer, 3),
                self.name_field(39)
            ),
            44,
        );
        let number = pad(&transliterate(self.document_number), 9);
        let (birth, expiry) = (yymmdd(self.birth_date), yymmdd(self.expiry_date));
        let personal = pad(&transliterate(self.optional_data), 14);
        let open = format!(
            "{number}{}{}{birth}{}{}{expiry}{}{personal}{}",
            check_digit(&number),
            pad(self.nationality, 3),
            check_digit(&birth),
            self.sex,
            check_digit(&expiry),
            check_digit(&personal)
        );
        // Composite: positions 1–10, 14–20 and 22–43 (1-based).
        let composite_input = format!("{}{}{}", &open[0..10], &open[13..20], &open[21..43]);
        [upper, format!("{open}{}", check_digit(&composite_input))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_accents_and_separators_become_fillers() {
        assert_eq!(transliterate("Hélène-Françoise"), "HELENE<FRANCOISE");
        assert_eq!(transliterate("d'Aubigné"), "D<AUBIGNE");
    }

    fn icao_specimen<'a>(given: &'a [String], document_number: &'a str) -> MrzFields<'a> {
        MrzFields {
            document_code: "I",
            issuer: "UTO",
            document_number,
            birth_date: NaiveDate::from_ymd_opt(1974, 8, 12).unwrap(),
            sex: 'F',
            expiry_date: NaiveDate::from_ymd_opt(2012, 4, 15).unwrap(),
            nationality: "UTO",
            optional_data: "",
            surname: "Eriksson",
            given_names: given,
        }
    }

    #[test]
    fn td1_reproduces_the_icao_9303_specimen_card() {
        let given = ["Anna".to_owned(), "Maria".to_owned()];
        let lines = icao_specimen(&given, "D23145890").td1();
        assert_eq!(
            lines,
            [
                "I<UTOD231458907<<<<<<<<<<<<<<<",
                "7408122F1204159UTO<<<<<<<<<<<6",
                "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
            ]
        );
    }

    #[test]
    fn td3_reproduces_the_icao_9303_specimen_passport() {
        let given = ["Anna".to_owned(), "Maria".to_owned()];
        let mut fields = icao_specimen(&given, "L898902C3");
        fields.document_code = "P";
        fields.optional_data = "ZE184226B";
        assert_eq!(
            fields.td3(),
            [
                "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
            ]
        );
    }
}
