//! The destruction record as PDF: A4 pages in Helvetica (one of the fonts every PDF reader has, so
//! nothing is embedded), the head on the first page, the documents as a numbered list across as
//! many pages as they need, and lines for the two signatures at the end.

use abholbox_service::bin::DestructionRecord;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::bin::local;
use super::render::Tr;

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const LEFT: f32 = 56.0;
const TOP: f32 = 780.0;
const BOTTOM: f32 = 70.0;
const LINE: f32 = 16.0;

/// Text in the standard fonts' WinAnsi encoding: Latin-1 (German and other Western European letters,
/// as site and box names may have them) and WinAnsi's own extras (euro sign, dashes, quotes) as
/// themselves; anything else as `?`. Staff names are ASCII, document numbers too.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' | '\u{A0}'..='\u{FF}' => u8::try_from(u32::from(c)).unwrap_or(b'?'),
            '€' => 0x80,
            '‚' => 0x82,
            'ƒ' => 0x83,
            '„' => 0x84,
            '…' => 0x85,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8A,
            '‹' => 0x8B,
            'Œ' => 0x8C,
            'Ž' => 0x8E,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9A,
            '›' => 0x9B,
            'œ' => 0x9C,
            'ž' => 0x9E,
            'Ÿ' => 0x9F,
            _ => b'?',
        })
        .collect()
}

/// One page's lines, each with its size and whether it is bold.
type Lines = Vec<(String, f32, bool)>;

fn pages(t: &Tr, record: &DestructionRecord, tz: chrono_tz::Tz) -> Vec<Lines> {
    let e = &record.emptying;
    let mut head: Lines = vec![
        (t.t("record-title"), 18.0, true),
        (String::new(), 11.0, false),
        (format!("{}: {} ({})", t.t("box"), record.box_name, e.box_id), 11.0, false),
        (format!("{}: {}", t.t("site"), record.site), 11.0, false),
        (format!("{}: {}", t.t("record-emptied-at"), local(e.emptied_at, tz)), 11.0, false),
        (format!("{}: {}", t.t("record-emptied-by"), record.emptied_by), 11.0, false),
        (format!("{}: {}", t.t("record-countersigned-by"), record.countersigned_by), 11.0, false),
        (format!("{}: {}", t.t("record-counted"), e.counted), 11.0, false),
        (format!("{}: {}", t.t("record-expected"), e.expected), 11.0, false),
    ];
    if e.counted != e.expected {
        head.push((t.t("record-mismatch"), 12.0, true));
    }
    head.push((String::new(), 11.0, false));
    head.push((t.t("record-documents"), 13.0, true));
    let mut lines = head;
    for (n, d) in record.documents.iter().enumerate() {
        lines.push((format!("{:>4}.  {}   {}", n + 1, d.number, local(d.taken_at, tz)), 11.0, false));
    }
    lines.push((String::new(), 11.0, false));
    lines.push((String::new(), 11.0, false));
    lines.push(("______________________________      ______________________________".to_owned(), 11.0, false));
    lines.push((format!("{:<38}{}", t.t("record-emptied-by"), t.t("record-countersigned-by")), 9.0, false));
    let per_page = ((TOP - BOTTOM) / LINE) as usize;
    lines.chunks(per_page.max(1)).map(<[_]>::to_vec).collect()
}

/// The record as a PDF file.
pub(crate) fn render(t: &Tr, record: &DestructionRecord, tz: chrono_tz::Tz) -> Vec<u8> {
    let pages = pages(t, record, tz);
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let first_page = 5;
    let page_ids: Vec<Ref> =
        (0..pages.len()).map(|i| Ref::new(first_page + 2 * i32::try_from(i).unwrap_or(0))).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(i32::try_from(page_ids.len()).unwrap_or(0));
    pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    let total = pages.len();
    for (i, (lines, page_id)) in pages.iter().zip(&page_ids).enumerate() {
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT)).parent(tree).contents(content_id);
        let mut resources = page.resources();
        resources.fonts().pair(Name(b"F1"), regular).pair(Name(b"F2"), bold);
        resources.finish();
        page.finish();
        let mut content = Content::new();
        let mut y = TOP;
        for (text, size, strong) in lines {
            content.begin_text();
            content.set_font(Name(if *strong { b"F2" } else { b"F1" }), *size);
            content.next_line(LEFT, y);
            content.show(Str(&win_ansi(text)));
            content.end_text();
            y -= LINE;
        }
        let footer = format!("{} {} / {}", t.t("record-page"), i + 1, total);
        content.begin_text();
        content.set_font(Name(b"F1"), 9.0);
        content.next_line(LEFT, 40.0);
        content.show(Str(&win_ansi(&footer)));
        content.end_text();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_letters_keep_their_codes() {
        assert_eq!(win_ansi("Prüfung Ä ß €"), b"Pr\xfcfung \xc4 \xdf \x80".to_vec());
        assert_eq!(win_ansi("名"), b"?".to_vec());
    }

    #[test]
    fn western_european_letters_and_quotes_keep_their_codes() {
        assert_eq!(win_ansi("Façade Åsa ñ"), b"Fa\xe7ade \xc5sa \xf1".to_vec());
        assert_eq!(win_ansi("„Süd“ — Œ"), b"\x84S\xfcd\x93 \x97 \x8c".to_vec());
        assert_eq!(win_ansi("‹†‰›"), b"\x8b\x86\x89\x9b".to_vec());
        assert_eq!(win_ansi("ł\u{7f}"), b"??".to_vec());
    }
}
