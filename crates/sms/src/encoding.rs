//! What a text costs and how it goes on the air: GSM 03.38 7-bit where every character fits (with the
//! extension table, each of whose characters takes two septets), UCS-2 otherwise; beyond one segment,
//! concatenated parts with a user data header. The city pays per segment, so the count is part of
//! every outbox message.

use serde::Serialize;

/// The GSM 03.38 default alphabet, by septet value. 0x1B is the escape to the extension table.
const BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1b}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The extension table: each character is sent as the escape septet followed by this value.
const EXTENSION: [(char, u8); 10] = [
    ('\u{c}', 0x0A),
    ('^', 0x14),
    ('{', 0x28),
    ('}', 0x29),
    ('\\', 0x2F),
    ('[', 0x3C),
    ('~', 0x3D),
    (']', 0x3E),
    ('|', 0x40),
    ('€', 0x65),
];

const ESCAPE: u8 = 0x1B;
/// Septets in one message, and in each part of a concatenated one (the header takes 7).
const GSM7_SINGLE: usize = 160;
const GSM7_PART: usize = 153;
/// UCS-2 code units in one message, and in each part (the header takes 3).
const UCS2_SINGLE: usize = 70;
const UCS2_PART: usize = 67;
/// A concatenated message has at most 255 parts; longer texts are refused.
const MAX_PARTS: usize = 255;

/// The alphabet a text is sent in; SMPP's `data_coding` follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    /// SMPP 3.4 `data_coding`: the SMSC default alphabet (GSM 03.38), or UCS-2.
    pub fn data_coding(self) -> u8 {
        match self {
            Self::Gsm7 => 0x00,
            Self::Ucs2 => 0x08,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gsm7 => "gsm7",
            Self::Ucs2 => "ucs2",
        }
    }
}

/// What a text costs: `abholbox sms segments` prints this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cost {
    pub encoding: Encoding,
    /// Septets (an extension character counts two) or UCS-2 code units.
    pub units: usize,
    pub segments: usize,
}

/// A text too long for one concatenated message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the text needs more than {MAX_PARTS} segments")]
pub struct TooLong;

/// A text encoded for the air: the payload of each segment, without the user data header, so that a
/// gateway adds the header with its own reference number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub encoding: Encoding,
    pub units: usize,
    /// One entry per segment: unpacked septets (one per byte) or UCS-2 big-endian bytes.
    pub parts: Vec<Vec<u8>>,
}

impl Encoded {
    pub fn cost(&self) -> Cost {
        Cost { encoding: self.encoding, units: self.units, segments: self.parts.len() }
    }
}

fn basic_septet(c: char) -> Option<u8> {
    if c == '\u{1b}' {
        return None;
    }
    BASIC.iter().position(|&b| b == c).and_then(|i| u8::try_from(i).ok())
}

fn extension_septet(c: char) -> Option<u8> {
    EXTENSION.iter().find(|(e, _)| *e == c).map(|(_, s)| *s)
}

/// The septets of one character, or `None` when it is not in GSM 03.38.
fn gsm7(c: char) -> Option<Vec<u8>> {
    basic_septet(c).map(|s| vec![s]).or_else(|| extension_septet(c).map(|s| vec![ESCAPE, s]))
}

/// The cost of a text, without encoding it for the air.
pub fn cost(text: &str) -> Cost {
    match encode(text) {
        Ok(encoded) => encoded.cost(),
        Err(TooLong) => {
            let (encoding, units) = match text.chars().map(gsm7).try_fold(0, |n, s| s.map(|s| n + s.len())) {
                Some(units) => (Encoding::Gsm7, units),
                None => (Encoding::Ucs2, text.encode_utf16().count()),
            };
            let part = if encoding == Encoding::Gsm7 { GSM7_PART } else { UCS2_PART };
            Cost { encoding, units, segments: units.div_ceil(part) }
        }
    }
}

/// Encodes a text into as few segments as its alphabet allows. An escape pair or a surrogate pair is
/// never split between two segments, as handsets would show it broken.
pub fn encode(text: &str) -> Result<Encoded, TooLong> {
    let septets: Option<Vec<Vec<u8>>> = text.chars().map(gsm7).collect();
    let (encoding, units, single, part): (Encoding, Vec<Vec<u8>>, usize, usize) = match septets {
        Some(septets) => (Encoding::Gsm7, septets, GSM7_SINGLE, GSM7_PART),
        None => {
            let mut buf = [0u16; 2];
            let units =
                text.chars().map(|c| c.encode_utf16(&mut buf).iter().flat_map(|u| u.to_be_bytes()).collect()).collect();
            (Encoding::Ucs2, units, UCS2_SINGLE, UCS2_PART)
        }
    };
    let unit_bytes = if encoding == Encoding::Gsm7 { 1 } else { 2 };
    let total: usize = units.iter().map(|u| u.len() / unit_bytes).sum();
    let capacity = if total <= single { single } else { part };
    let mut parts: Vec<Vec<u8>> = vec![Vec::new()];
    let mut used = 0;
    for unit in units {
        let n = unit.len() / unit_bytes;
        if used + n > capacity {
            parts.push(Vec::new());
            used = 0;
        }
        used += n;
        if let Some(last) = parts.last_mut() {
            last.extend(unit);
        }
    }
    if parts.len() > MAX_PARTS {
        return Err(TooLong);
    }
    Ok(Encoded { encoding, units: total, parts })
}

/// The text as one stream of bytes for an interface that splits it itself (SMPP `message_payload`,
/// Kannel): unpacked septets or UCS-2 big-endian.
pub fn payload(text: &str) -> (Encoding, Vec<u8>) {
    match text.chars().map(gsm7).collect::<Option<Vec<_>>>() {
        Some(septets) => (Encoding::Gsm7, septets.concat()),
        None => (Encoding::Ucs2, text.encode_utf16().flat_map(u16::to_be_bytes).collect()),
    }
}

/// The user data header of a concatenated message's part (8-bit reference, IE 0x00).
pub fn concatenation_header(reference: u8, parts: usize, index: usize) -> [u8; 6] {
    let clamp = |n: usize| u8::try_from(n).unwrap_or(u8::MAX);
    [0x05, 0x00, 0x03, reference, clamp(parts), clamp(index + 1)]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn of(text: &str) -> (Encoding, usize, usize) {
        let c = cost(text);
        (c.encoding, c.units, c.segments)
    }

    #[test]
    fn german_umlauts_are_gsm7_and_an_en_dash_is_not() {
        assert_eq!(of("Grüße aus Düsseldorf, Straße 1"), (Encoding::Gsm7, 30, 1));
        assert_eq!(of("PIN 123456 – bis morgen"), (Encoding::Ucs2, 23, 1));
    }

    #[test]
    fn the_euro_sign_costs_two_septets() {
        assert_eq!(of("Gebühr: 10 €"), (Encoding::Gsm7, 13, 1));
        assert_eq!(of(&"€".repeat(80)), (Encoding::Gsm7, 160, 1));
        assert_eq!(of(&"€".repeat(81)), (Encoding::Gsm7, 162, 2));
    }

    #[test]
    fn segment_boundaries_for_gsm7() {
        assert_eq!(of(&"a".repeat(160)), (Encoding::Gsm7, 160, 1));
        assert_eq!(of(&"a".repeat(161)), (Encoding::Gsm7, 161, 2));
        assert_eq!(of(&"a".repeat(306)), (Encoding::Gsm7, 306, 2));
        assert_eq!(of(&"a".repeat(307)), (Encoding::Gsm7, 307, 3));
    }

    #[test]
    fn an_escape_pair_is_not_split_between_segments() {
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        let encoded = encode(&text).unwrap();
        assert_eq!(encoded.parts[0].len(), 152, "the € moves to the second part");
        assert_eq!(encoded.parts[1][..2], [ESCAPE, 0x65]);
    }

    #[test]
    fn turkish_arabic_and_ukrainian_need_ucs2() {
        // Turkish: ş, ı and ğ are not in the default alphabet (ç and ü would be).
        let turkish = "Belgeniz teslim kutusunda hazır. Lütfen eski kimliğinizi getirin.";
        assert_eq!(of(turkish), (Encoding::Ucs2, 65, 1));
        let arabic = "مستندك جاهز في صندوق الاستلام. يرجى إحضار هويتك القديمة.";
        assert_eq!(of(arabic), (Encoding::Ucs2, 56, 1));
        let ukrainian = "Ваш документ готовий у боксі видачі Дюссельдорф. Візьміть старий документ, будь ласка.";
        assert_eq!(of(ukrainian), (Encoding::Ucs2, 86, 2));
    }

    #[test]
    fn segment_boundaries_for_ucs2_and_surrogate_pairs() {
        assert_eq!(of(&"ж".repeat(70)), (Encoding::Ucs2, 70, 1));
        assert_eq!(of(&"ж".repeat(71)), (Encoding::Ucs2, 71, 2));
        assert_eq!(of(&"ж".repeat(134)), (Encoding::Ucs2, 134, 2));
        assert_eq!(of(&"ж".repeat(135)), (Encoding::Ucs2, 135, 3));
        assert_eq!(of("👍"), (Encoding::Ucs2, 2, 1));
        let text = format!("{}👍", "ж".repeat(66));
        let encoded = encode(&format!("{text}{}", "ж".repeat(10))).unwrap();
        assert_eq!(encoded.parts[0].len(), 66 * 2, "the pair moves to the next part whole");
    }

    #[test]
    fn septets_and_ucs2_bytes_are_what_goes_on_the_air() {
        assert_eq!(encode("@A€").unwrap().parts, vec![vec![0x00, 0x41, 0x1B, 0x65]]);
        assert_eq!(encode("Ж").unwrap().parts, vec![vec![0x04, 0x16]]);
        assert_eq!(payload("ab"), (Encoding::Gsm7, vec![0x61, 0x62]));
        assert_eq!(concatenation_header(7, 3, 0), [5, 0, 3, 7, 3, 1]);
    }

    #[test]
    fn the_escape_character_itself_is_not_gsm7() {
        assert_eq!(of("\u{1b}").0, Encoding::Ucs2);
    }

    #[test]
    fn a_text_beyond_255_parts_is_refused_but_still_costed() {
        let text = "a".repeat(153 * 255 + 1);
        assert_eq!(encode(&text), Err(TooLong));
        assert_eq!(cost(&text).segments, 256);
    }
}
