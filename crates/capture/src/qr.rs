//! Reading a QR code from a camera frame, to join a class: the world shows its address as a QR
//! code on its welcome page and the app films it. Decoding is `rqrr` (pure Rust, a port of the
//! quirc decoder, maintained, no C and no image crate needed here: it reads the frame's luma
//! through a closure).
//!
//! What a frame holds is a [`QrReading`]: nothing readable, a world's address, or a QR code of
//! something else, which the person is told in French (a menu, a payment link, a Wi-Fi code…).

use crate::Frame;

/// What one frame shows, as far as joining a world goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrReading {
    /// No QR code could be read (none in view, too far, blurred): keep filming.
    NoCode,
    /// A world's address, normalised (`http(s)://host[:port]`, no trailing slash).
    WorldAddress(String),
    /// A QR code was read, but its text is not a world's address.
    NotAWorldAddress(String),
}

impl QrReading {
    /// Reads every QR code in the frame; the first world address wins, else the first other text.
    pub fn of_frame(frame: &Frame) -> QrReading {
        let texts = read_qr_codes(frame);
        if let Some(address) = texts.iter().find_map(|text| world_address(text)) {
            return QrReading::WorldAddress(address);
        }
        match texts.into_iter().next() {
            Some(text) => QrReading::NotAWorldAddress(text),
            None => QrReading::NoCode,
        }
    }

    /// Stable code for the screens (`None` once an address was found).
    pub fn hint_code(&self) -> Option<&'static str> {
        match self {
            QrReading::NoCode => Some("qr_not_found"),
            QrReading::NotAWorldAddress(_) => Some("qr_not_a_world"),
            QrReading::WorldAddress(_) => None,
        }
    }

    /// What the person reads over the preview.
    pub fn message_fr(&self) -> String {
        crate::fr::qr_reading(self)
    }
}

/// The texts of the QR codes found in the frame, in the decoder's order. Unreadable grids (a
/// finder pattern seen but the code too blurred or cut) are skipped: a normal moment of filming.
pub fn read_qr_codes(frame: &Frame) -> Vec<String> {
    let (width, height) = (frame.width() as usize, frame.height() as usize);
    let pixels = frame.pixels();
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        let i = (y * width + x) * 3;
        // Integer Rec. 601 luma: the decoder only thresholds it.
        ((u32::from(pixels[i]) * 77 + u32::from(pixels[i + 1]) * 150 + u32::from(pixels[i + 2]) * 29) >> 8)
            as u8
    });
    image
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect()
}

/// A world's address from a QR code's text: `http://` or `https://`, a host (letters, digits,
/// dots, hyphens, or a bracketed IPv6 address), an optional port, nothing after but one `/` and
/// the fragment of a join code (`#ca=…&id=…`, read by `idn_api::JoinAddress`). A world is joined
/// by its root address; anything else is some other QR code.
pub fn world_address(text: &str) -> Option<String> {
    let text = text.trim();
    let text = text.split_once('#').map_or(text, |(address, _)| address);
    let rest = text
        .strip_prefix("http://")
        .map(|rest| ("http://", rest))
        .or_else(|| text.strip_prefix("https://").map(|rest| ("https://", rest)))?;
    let (scheme, authority) = rest;
    let authority = authority.strip_suffix('/').unwrap_or(authority);
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && !port.contains(']') => (host, Some(port)),
        _ => (authority, None),
    };
    let host_ok = if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        !host.is_empty()
            && !host.starts_with(['.', '-'])
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    };
    let port_ok = port.is_none_or(|port| {
        !port.is_empty()
            && port.len() <= 5
            && port.chars().all(|c| c.is_ascii_digit())
            && port.parse::<u16>().is_ok()
    });
    (host_ok && port_ok).then(|| format!("{scheme}{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_world_address_is_a_root_http_address() {
        for (text, expected) in [
            ("http://127.0.0.1:8787", Some("http://127.0.0.1:8787")),
            ("http://192.168.1.20:8787/", Some("http://192.168.1.20:8787")),
            ("  https://classe.exemple.fr ", Some("https://classe.exemple.fr")),
            ("http://[::1]:8787", Some("http://[::1]:8787")),
            ("http://127.0.0.1:8787/application", None),
            (
                "https://192.168.1.20:8787/#ca=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s&id=AAAA",
                Some("https://192.168.1.20:8787"),
            ),
            ("http://127.0.0.1:8787/application#id=AAAA", None),
            ("http://127.0.0.1:99999", None),
            ("http://:8787", None),
            ("192.168.1.20:8787", None),
            ("WIFI:T:WPA;S:classe;P:secret;;", None),
            ("ftp://exemple.fr", None),
            ("http://exemple.fr?rejoindre=1", None),
        ] {
            assert_eq!(world_address(text).as_deref(), expected, "text {text:?}");
        }
    }

    #[test]
    fn a_plain_frame_holds_no_code() {
        let frame = Frame::new(64, 48, vec![200; 64 * 48 * 3], std::time::Duration::ZERO).unwrap();
        assert_eq!(QrReading::of_frame(&frame), QrReading::NoCode);
        assert_eq!(QrReading::NoCode.hint_code(), Some("qr_not_found"));
    }
}
