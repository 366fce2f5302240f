//! The document slot's reader: it sends the machine-readable zone it read as lines of OCR-B text over
//! a serial line. Readers differ in framing (a bare CR or CR LF after each line, or a frame of
//! `SOH … STX lines ETX BCC`, lines padded with `_`), so the framing is a [`Profile`] from the
//! configuration; what the [`Assembler`] makes of the bytes is the same for all.

/// How one reader model frames what it sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// The byte that starts a document's text (STX): what stood before it is a header, dropped.
    pub start_of_text: Option<u8>,
    /// Bytes right after it that are not text (a status flag).
    pub after_start: usize,
    /// The byte that ends a document (ETX): a document not complete by then is dropped.
    pub end_of_text: Option<u8>,
    /// Bytes right after it that are not text (a checksum, which may look like anything).
    pub after_end: usize,
    /// Padding some readers put where ICAO 9303 has `<`.
    pub padding: Option<u8>,
}

const CR: u8 = b'\r';
const LF: u8 = b'\n';
/// More than this many bytes without a line end is not a reader talking: dropped.
const MAX_LINE: usize = 256;

/// Turns the bytes a reader sends, in whatever pieces they arrive, into machine-readable zones: three
/// lines of 30 characters (ID cards, TD1), two of 36 (TD2) or two of 44 (passports, TD3). Anything
/// else between documents (noise, a half-read card, a line of the wrong length) is dropped.
#[derive(Debug, Default)]
pub struct Assembler {
    profile: Profile,
    line: Vec<u8>,
    lines: Vec<String>,
    skip: usize,
}

impl Assembler {
    pub fn new(profile: Profile) -> Self {
        Self { profile, ..Self::default() }
    }

    /// Takes the next bytes; returns the zones they complete, each as its lines joined by `\n`.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut zones = Vec::new();
        for &b in bytes {
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            if Some(b) == self.profile.start_of_text {
                self.line.clear();
                self.lines.clear();
                self.skip = self.profile.after_start;
            } else if Some(b) == self.profile.end_of_text {
                self.end_line(&mut zones);
                self.lines.clear();
                self.skip = self.profile.after_end;
            } else if b == CR || b == LF {
                self.end_line(&mut zones);
            } else if b < 0x20 || b == 0x7F {
                continue;
            } else if self.line.len() >= MAX_LINE {
                self.line.clear();
            } else {
                self.line.push(if Some(b) == self.profile.padding { b'<' } else { b });
            }
        }
        zones
    }

    fn end_line(&mut self, zones: &mut Vec<String>) {
        let line = std::mem::take(&mut self.line);
        let Ok(text) = String::from_utf8(line) else {
            self.lines.clear();
            return;
        };
        let text = text.trim().to_owned();
        if text.is_empty() {
            return;
        }
        let mrz_like = matches!(text.len(), 30 | 36 | 44)
            && text.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'<');
        if !mrz_like {
            self.lines.clear();
            return;
        }
        // A line of another length than the ones before starts a new document.
        if self.lines.first().is_some_and(|first| first.len() != text.len()) {
            self.lines.clear();
        }
        self.lines.push(text);
        let wanted = if self.lines.first().is_some_and(|l| l.len() == 30) { 3 } else { 2 };
        if self.lines.len() == wanted {
            zones.push(self.lines.join("\n"));
            self.lines.clear();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ID: [&str; 3] =
        ["IDD<<T220001293<<<<<<<<<<<<<<<", "6408125<2010315D<<<<<<<<<<<<<4", "MUSTERMANN<<ERIKA<<<<<<<<<<<<<"];
    const PASSPORT: [&str; 2] =
        ["P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<", "C01X00T478D<<6408125F2702283<<<<<<<<<<<<<<<4"];

    #[test]
    fn lines_in_pieces_with_cr_or_crlf_make_one_zone() {
        let mut reader = Assembler::new(Profile::default());
        let bytes = format!("{}\r\n{}\r{}\r\n", ID[0], ID[1], ID[2]);
        let mut zones = Vec::new();
        for piece in bytes.as_bytes().chunks(7) {
            zones.extend(reader.feed(piece));
        }
        assert_eq!(zones, vec![ID.join("\n")]);
    }

    #[test]
    fn noise_between_documents_and_half_reads_are_dropped() {
        let mut reader = Assembler::new(Profile::default());
        let mut bytes = b"\x00\xffgarbage\r\n".to_vec();
        bytes.extend(format!("{}\r\n", ID[0]).as_bytes());
        bytes.extend(b"\r\n~~~ half a card\r\n");
        bytes.extend(format!("{}\r\n{}\r\n", PASSPORT[0], PASSPORT[1]).as_bytes());
        assert_eq!(reader.feed(&bytes), vec![PASSPORT.join("\n")]);
        let mut endless = vec![b'A'; 10_000];
        endless.extend(format!("\r\n{}\r\n{}\r\n{}\r\n", ID[0], ID[1], ID[2]).as_bytes());
        assert_eq!(reader.feed(&endless), vec![ID.join("\n")], "a runaway line does not poison the next");
    }

    #[test]
    fn a_framed_reader_with_padding_is_read_through_its_profile() {
        // SOH, a length, "OU", STX, a status flag, the lines, ETX and a checksum byte.
        let profile = Profile {
            start_of_text: Some(0x02),
            after_start: 1,
            end_of_text: Some(0x03),
            after_end: 1,
            padding: Some(b'_'),
        };
        let mut reader = Assembler::new(profile);
        let padded: Vec<String> = ID.iter().map(|l| l.replace('<', "_")).collect();
        let mut bytes = vec![0x01, b'4', b'O', b'U', 0x02, b'F'];
        bytes.extend(format!("{}\r{}\r{}\r", padded[0], padded[1], padded[2]).as_bytes());
        bytes.extend([0x03, 0x5A]);
        let zones = reader.feed(&bytes);
        assert_eq!(zones, vec![ID.join("\n")]);
        // The flag after STX and the checksum after ETX are skipped, whatever they look like.
        let mut again = reader.feed(&[0x01, b'4', b'O', b'U', 0x02, b'I']);
        again.extend(reader.feed(format!("{}\r{}\r{}", ID[0], ID[1], ID[2]).as_bytes()));
        again.extend(reader.feed(&[0x03, b'\r']));
        assert_eq!(again, vec![ID.join("\n")]);
    }

    #[test]
    fn a_frame_that_ends_early_leaves_nothing_behind() {
        let profile =
            Profile { start_of_text: Some(0x02), end_of_text: Some(0x03), after_end: 1, ..Profile::default() };
        let mut reader = Assembler::new(profile);
        let mut bytes = format!("\x02{}\r{}\r", ID[0], ID[1]).into_bytes();
        bytes.extend([0x03, 0x00]);
        assert!(reader.feed(&bytes).is_empty(), "two of three lines are no zone");
        assert_eq!(reader.feed(format!("\x02{}\r", ID[2]).as_bytes()), Vec::<String>::new(), "nor with a third later");
    }
}
