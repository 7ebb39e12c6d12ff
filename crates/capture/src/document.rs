//! Which page of which identity document is being photographed, and its physical shape: what
//! the synthetic source draws and what the framing check expects.

/// The physical format of a page, in millimetres (ISO/IEC 7810 and ICAO 9303).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentFormat {
    /// ID-1, the bank-card size of identity cards and residence permits: 85.6 × 54 mm.
    Id1,
    /// TD3, the passport data page: 125 × 88 mm.
    PassportPage,
}

impl DocumentFormat {
    /// Width and height in millimetres, landscape.
    pub fn size_mm(self) -> (f32, f32) {
        match self {
            Self::Id1 => (85.6, 54.0),
            Self::PassportPage => (125.0, 88.0),
        }
    }

    /// Long side over short side: 1.585 for ID-1, 1.420 for the passport page.
    pub fn aspect_ratio(self) -> f32 {
        let (w, h) = self.size_mm();
        w / h
    }

    /// Corner radius in millimetres (ID-1 cards have rounded corners; a passport page, in
    /// practice, nearly square ones).
    pub(crate) fn corner_radius_mm(self) -> f32 {
        match self {
            Self::Id1 => 3.18,
            Self::PassportPage => 1.0,
        }
    }
}

/// One photo the visual identification asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentPage {
    /// Carte nationale d'identité, recto.
    CniFront,
    /// Carte nationale d'identité, verso (with the MRZ).
    CniBack,
    /// Passeport, data page with the photo and the MRZ.
    PassportPhotoPage,
    /// Titre de séjour, recto.
    TitreDeSejourFront,
    /// Titre de séjour, verso (with the MRZ).
    TitreDeSejourBack,
}

impl DocumentPage {
    pub const ALL: [DocumentPage; 5] = [
        Self::CniFront,
        Self::CniBack,
        Self::PassportPhotoPage,
        Self::TitreDeSejourFront,
        Self::TitreDeSejourBack,
    ];

    pub fn format(self) -> DocumentFormat {
        match self {
            Self::CniFront | Self::CniBack | Self::TitreDeSejourFront | Self::TitreDeSejourBack => {
                DocumentFormat::Id1
            }
            Self::PassportPhotoPage => DocumentFormat::PassportPage,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aspect_ratios_are_those_of_the_standards() {
        assert!((DocumentFormat::Id1.aspect_ratio() - 1.585).abs() < 0.001);
        assert!((DocumentFormat::PassportPage.aspect_ratio() - 1.420).abs() < 0.001);
    }
}
