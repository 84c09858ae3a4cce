//! WARC in: response records, their HTTP message, the HTML body and the article text in it.
//!
//! The reader thread frames the records (header block, `Content-Length` bytes of block) and
//! parses each header block with the `warc` crate's parser; it keeps only `response` records,
//! with their block, bounded by the record size limit. A worker then parses the HTTP header
//! (`httparse`), undoes `Transfer-Encoding: chunked` and `Content-Encoding: gzip`/`deflate`,
//! decodes the charset (`encoding_rs`) and extracts the article (`dom_smoothie`, a port of
//! Mozilla's Readability) as text with one paragraph per non-blank line.

use super::{Payload, Raw};
use quotestance::Document;
use serde_json::Value;
use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};

/// Most bytes of a WARC header block.
const MAX_HEADER: usize = 1024 * 1024;
/// Bytes looked at for an HTML `<meta charset>` and for HTML markup when there is no Content-Type.
const SNIFF: usize = 1024;

/// A WARC `response` record, as the reader thread hands it to a worker.
pub(crate) struct Response {
    /// `WARC-Record-ID`, without its angle brackets.
    pub id: Option<String>,
    /// `WARC-Target-URI`.
    pub uri: Option<String>,
    /// `WARC-Date` (the capture time).
    pub date: Option<String>,
    /// The record's `Content-Type` (`application/http; msgtype=response` for an HTTP response).
    pub content_type: Option<String>,
    /// The record block: the HTTP response, header and body.
    pub block: Vec<u8>,
    /// The size limit of a body after decompression.
    pub max_body: usize,
}

/// Reads the records of a WARC file (gzip-compressed, record by record or whole, when `gzip`)
/// into `push`, one per `response` record; `pos` counts every record of the file from 1.
///
/// Records of other types (`warcinfo`, `request`, `metadata`, `revisit`, ...) are skipped: they
/// are not articles. A response whose block is over `max_record` bytes is an error record (its
/// block is read past, never held). A record without `WARC-Type` is an error record. A read
/// error, a malformed header block or a truncated record ends the file with one error record,
/// since the records after it cannot be found reliably.
pub(crate) fn read(
    file: impl Read,
    gzip: bool,
    max_record: usize,
    push: &mut dyn FnMut(Raw) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    const CAP: usize = 256 * 1024;
    let mut r: Box<dyn BufRead> = match gzip {
        true => Box::new(BufReader::with_capacity(CAP, flate2::read::MultiGzDecoder::new(file))),
        false => Box::new(BufReader::with_capacity(CAP, file)),
    };
    let mut pos = 0u64;
    let fail = |pos: u64, e: String| Raw { pos, item: Err((Value::Null, e)) };
    loop {
        let block = match header_block(&mut r) {
            Ok(None) => return Ok(()),
            Ok(Some(b)) => b,
            Err(e) => return push(fail(pos + 1, e)),
        };
        pos += 1;
        let (fields, len) = match warc::parser::headers(&block) {
            Ok((_, (_version, fields, len))) => {
                let fields: Vec<(String, String)> = fields
                    .into_iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), String::from_utf8_lossy(v).trim().to_string()))
                    .collect();
                (fields, len)
            }
            Err(_) => {
                let start = String::from_utf8_lossy(&block[..block.len().min(40)]).into_owned();
                return push(fail(pos, format!("malformed WARC record header (starting {start:?})")));
            }
        };
        let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let kind = get("warc-type").map(warc::RecordType::from);
        let keep = kind == Some(warc::RecordType::Response) && len <= max_record;
        let body = if keep {
            let mut body = Vec::with_capacity(len);
            match (&mut r).take(len as u64).read_to_end(&mut body) {
                Ok(n) if n == len => Some(body),
                Ok(n) => return push(fail(pos, format!("truncated WARC record ({n} of {len} bytes)"))),
                Err(e) => return push(fail(pos, format!("read error: {e}"))),
            }
        } else {
            match std::io::copy(&mut (&mut r).take(len as u64), &mut std::io::sink()) {
                Ok(n) if n == len as u64 => None,
                Ok(n) => return push(fail(pos, format!("truncated WARC record ({n} of {len} bytes)"))),
                Err(e) => return push(fail(pos, format!("read error: {e}"))),
            }
        };
        let id = get("warc-record-id").map(|id| id.trim_start_matches('<').trim_end_matches('>').to_string());
        let id_value = || id.clone().map_or(Value::Null, Value::String);
        match (kind, body) {
            (None, _) => push(Raw { pos, item: Err((id_value(), "WARC record without WARC-Type".into())) })?,
            (Some(warc::RecordType::Response), None) => push(Raw {
                pos,
                item: Err((id_value(), format!("record over the size limit ({len} bytes, limit {max_record})"))),
            })?,
            (Some(_), None) => {} // not a response: not an article
            (Some(_), Some(block)) => {
                let response = Response {
                    id,
                    uri: get("warc-target-uri"),
                    date: get("warc-date"),
                    content_type: get("content-type"),
                    block,
                    max_body: max_record,
                };
                push(Raw { pos, item: Ok(Payload::Http(response)) })?
            }
        }
    }
}

/// The next header block (from `WARC/` to its blank line, included), skipping the blank lines
/// that end the previous record; `None` at the end of the file.
fn header_block(r: &mut dyn BufRead) -> Result<Option<Vec<u8>>, String> {
    let mut block = Vec::new();
    loop {
        let start = block.len();
        let room = (MAX_HEADER + 1).saturating_sub(start) as u64;
        let n = r.take(room).read_until(b'\n', &mut block).map_err(|e| format!("read error: {e}"))?;
        if block.len() > MAX_HEADER {
            return Err(format!("WARC record header over {MAX_HEADER} bytes"));
        }
        let line = &block[start..];
        let blank = line.iter().all(|b| matches!(b, b'\r' | b'\n'));
        if n == 0 {
            return match start {
                0 => Ok(None),
                _ => Err("truncated WARC record header".into()),
            };
        }
        if blank {
            if start == 0 {
                block.clear(); // between records
                continue;
            }
            return Ok(Some(block));
        }
    }
}

/// The document in a response record, or its id and why there is none. Runs on a worker.
pub(crate) fn document(r: &Response) -> Result<Document, (Value, String)> {
    let Some(id) = r.id.clone() else {
        return Err((Value::Null, "WARC record without WARC-Record-ID".into()));
    };
    let fail = |e: String| (Value::String(id.clone()), e);
    let article = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| article(r)))
        .unwrap_or_else(|_| Err("internal error (panic) while reading the HTML".into()))
        .map_err(fail)?;
    Ok(Document {
        id: id.clone(),
        text: article.text,
        title: article.title,
        url: r.uri.clone(),
        date: article.published.or_else(|| r.date.clone()),
        source: article.site,
    })
}

pub(crate) struct Article {
    pub(crate) text: String,
    pub(crate) title: Option<String>,
    pub(crate) published: Option<String>,
    pub(crate) site: Option<String>,
}

/// The article of an HTTP response.
fn article(r: &Response) -> Result<Article, String> {
    if let Some(ct) = &r.content_type {
        if !ct.to_ascii_lowercase().starts_with("application/http") {
            return Err(format!("not an HTTP response (WARC Content-Type: {ct})"));
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut response = httparse::Response::new(&mut headers);
    let header_len = match response.parse(&r.block) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Err("malformed HTTP response: incomplete header".into()),
        Err(e) => return Err(format!("malformed HTTP response: {e}")),
    };
    let status = response.code.unwrap_or(0);
    if !(200..300).contains(&status) {
        return Err(format!("HTTP status {status}, not a page"));
    }
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
    };
    let content_type = header("content-type");
    let mut body = Cow::Borrowed(&r.block[header_len..]);
    let mime = content_type.as_deref().map(|ct| ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    match mime.as_deref() {
        Some("text/html" | "application/xhtml+xml") | None => {}
        Some(m) => return Err(format!("not HTML (Content-Type: {m})")),
    }
    if header("transfer-encoding").is_some_and(|te| te.to_ascii_lowercase().contains("chunked")) {
        body = Cow::Owned(dechunk(&body, r.max_body)?);
    }
    match header("content-encoding").map(|ce| ce.to_ascii_lowercase()).as_deref() {
        None | Some("" | "identity") => {}
        Some("gzip" | "x-gzip") => {
            body = Cow::Owned(
                inflate(flate2::read::MultiGzDecoder::new(&body[..]), r.max_body)
                    .map_err(|e| format!("bad gzip body (Content-Encoding: gzip): {e}"))?,
            );
        }
        Some("deflate") => {
            let zlib = inflate(flate2::read::ZlibDecoder::new(&body[..]), r.max_body);
            let raw = || inflate(flate2::read::DeflateDecoder::new(&body[..]), r.max_body);
            body = Cow::Owned(zlib.or_else(|_| raw()).map_err(|e| format!("bad deflate body: {e}"))?);
        }
        Some(other) => return Err(format!("unsupported Content-Encoding {other}")),
    }
    if mime.is_none() && !looks_like_html(&body) {
        return Err("not HTML (no Content-Type, and no HTML markup at the start of the body)".into());
    }
    let html = decode(&body, content_type.as_deref())?;
    extract(&html, r.uri.as_deref())
}

/// A decompressed body, at most `limit` bytes.
fn inflate(decoder: impl Read, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    decoder.take(limit as u64 + 1).read_to_end(&mut out)?;
    if out.len() > limit {
        return Err(std::io::Error::other(format!("over the size limit after decompression (limit {limit})")));
    }
    Ok(out)
}

/// Undoes `Transfer-Encoding: chunked`.
fn dechunk(mut body: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let bad = |why: &str| format!("bad chunked Transfer-Encoding: {why}");
    let mut out = Vec::new();
    loop {
        let eol = body.iter().position(|&b| b == b'\n').ok_or_else(|| bad("no chunk size line"))?;
        let line = std::str::from_utf8(&body[..eol]).map_err(|_| bad("chunk size not ASCII"))?;
        let hex = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(hex, 16).map_err(|_| bad(&format!("chunk size {hex:?}")))?;
        body = &body[eol + 1..];
        if size == 0 {
            return Ok(out);
        }
        if size > body.len() {
            return Err(bad("a chunk runs past the end"));
        }
        if out.len() + size > limit {
            return Err(format!("body over the size limit (limit {limit})"));
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size..];
        body = body.strip_prefix(b"\r\n").or_else(|| body.strip_prefix(b"\n")).unwrap_or(body);
    }
}

fn looks_like_html(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(SNIFF)]).to_ascii_lowercase();
    head.contains("<html") || head.contains("<!doctype html")
}

/// The body as text, in the charset the Content-Type header, a byte-order mark or a `<meta>`
/// tag gives (in that order), else UTF-8; bytes that are not valid in it are an error.
pub(crate) fn decode(body: &[u8], content_type: Option<&str>) -> Result<String, String> {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(body) {
        return decode_as(enc, &body[bom..], "byte-order mark");
    }
    let declared = content_type.and_then(charset_param).map(|c| (c, "Content-Type")).or_else(|| {
        let head = String::from_utf8_lossy(&body[..body.len().min(SNIFF)]).to_ascii_lowercase();
        meta_charset(&head).map(|c| (c, "<meta> charset"))
    });
    let Some((label, from)) = declared else {
        return decode_as(encoding_rs::UTF_8, body, "no charset given: UTF-8");
    };
    match encoding_rs::Encoding::for_label(label.as_bytes()) {
        Some(enc) => decode_as(enc, body, from),
        None => Err(format!("unparseable HTML: unknown charset {label:?} ({from})")),
    }
}

fn decode_as(enc: &'static encoding_rs::Encoding, bytes: &[u8], from: &str) -> Result<String, String> {
    if enc == encoding_rs::UTF_8 {
        return std::str::from_utf8(bytes).map(str::to_string).map_err(|e| format!("not UTF-8 ({e}; {from})"));
    }
    enc.decode_without_bom_handling_and_without_replacement(bytes)
        .map(Cow::into_owned)
        .ok_or_else(|| format!("unparseable HTML: not valid {} ({from})", enc.name()))
}

/// The `charset` parameter of a Content-Type value.
fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then(|| v.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// The charset of a `<meta charset=...>` or `<meta http-equiv content="...; charset=...">` tag in
/// the (lower-cased) start of a page.
fn meta_charset(head: &str) -> Option<String> {
    head.match_indices("<meta").find_map(|(i, _)| {
        let tag = &head[i..];
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        let at = tag.find("charset")?;
        let rest = tag[at + "charset".len()..].trim_start().strip_prefix('=')?;
        let rest = rest.trim_start().trim_start_matches(['"', '\'']);
        let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || "-_:.".contains(c))).unwrap_or(rest.len());
        (end > 0).then(|| rest[..end].to_string())
    })
}

/// Deepest nesting of the parsed page let through to the extractor (as [`dom_depth`] counts it).
/// Parsing and extraction take time quadratic in the nesting (about 5 s for 5,000 nested
/// `<div>`s), so a page nested deeper, which no real page is, is refused rather than stalling a
/// worker.
const MAX_DEPTH: usize = 1024;
/// A scan of the tags refuses a page before parsing when it finds them nested over this many
/// times [`MAX_DEPTH`]: the scan only estimates (it may count an element the parser would
/// close), so it leaves room, and the parser never sees a page that would take it seconds.
const SCAN_FACTOR: usize = 4;

/// The article's text (paragraphs on their own lines, blank lines between them) and metadata.
pub(crate) fn extract(html: &str, url: Option<&str>) -> Result<Article, String> {
    let too_deep = |depth: String| format!("unparseable HTML: elements nested {depth} deep (limit {MAX_DEPTH})");
    let estimate = nesting_estimate(html);
    if estimate > SCAN_FACTOR * MAX_DEPTH {
        return Err(too_deep(format!("about {estimate}")));
    }
    let doc = dom_query::Document::from(html);
    let depth = dom_depth(&doc);
    if depth > MAX_DEPTH {
        return Err(too_deep(depth.to_string()));
    }
    let config = dom_smoothie::Config { text_mode: dom_smoothie::TextMode::Formatted, ..Default::default() };
    // A URL the extractor does not take as absolute: extract without it.
    let url = url
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .filter(|u| dom_smoothie::Readability::with_document(dom_query::Document::from(""), Some(u), None).is_ok());
    let mut readability = dom_smoothie::Readability::with_document(doc, url, Some(config))
        .map_err(|e| format!("unparseable HTML: {e}"))?;
    let article = readability.parse().map_err(|e| format!("no article text ({e})"))?;
    let text: String = article.text_content.lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
    let text = text.trim();
    if text.is_empty() {
        return Err("no article text (the page has no readable content)".into());
    }
    let some = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    Ok(Article {
        text: text.to_string(),
        title: some(Some(article.title)),
        published: some(article.published_time),
        site: some(article.site_name),
    })
}

/// The depth of the deepest node of a parsed page.
fn dom_depth(doc: &dom_query::Document) -> usize {
    let mut stack = vec![(doc.root(), 0usize)];
    let mut max = 0;
    while let Some((node, depth)) = stack.pop() {
        max = max.max(depth);
        stack.extend(node.children_it(false).map(|c| (c, depth + 1)));
    }
    max
}

/// How deep the elements of `html` nest, estimated in one pass over its tags, before parsing:
/// start tags open, end tags close; void elements, self-closing tags, elements whose end tag
/// may be left out (`p`, `li`, `td`, ...), comments and the insides of `script`, `style`,
/// `textarea` and `title` do not count.
fn nesting_estimate(html: &str) -> usize {
    const UNCOUNTED: [&str; 36] = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "param",
        "keygen", "html", "head", "body", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead",
        "tbody", "tfoot", "colgroup", "caption", "rt", "rp", "rb", "rtc",
    ];
    const RAW: [&str; 4] = ["script", "style", "textarea", "title"];
    let lower = html.to_ascii_lowercase();
    let b = lower.as_bytes();
    let find =
        |from: usize, pat: &[u8]| b[from.min(b.len())..].windows(pat.len()).position(|w| w == pat).map(|k| k + from);
    let (mut i, mut depth, mut max) = (0usize, 0usize, 0usize);
    while let Some(k) = b[i..].iter().position(|&c| c == b'<') {
        i += k + 1;
        if b[i..].starts_with(b"!--") {
            i = find(i + 3, b"-->").map_or(b.len(), |e| e + 3);
            continue;
        }
        let close = b.get(i) == Some(&b'/');
        i += close as usize;
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-') {
            i += 1;
        }
        if i == start || !b[start].is_ascii_alphabetic() {
            continue; // not a tag
        }
        let name = &lower[start..i];
        let end = b[i..].iter().position(|&c| c == b'>').map_or(b.len(), |e| i + e);
        let self_closing = end > i && b[end - 1] == b'/';
        i = end;
        if !close && RAW.contains(&name) {
            i = find(i, format!("</{name}").as_bytes()).unwrap_or(b.len());
            continue;
        }
        if self_closing || UNCOUNTED.contains(&name) {
            continue;
        }
        if close {
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
            max = max.max(depth);
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets() {
        assert_eq!(charset_param("text/html; charset=\"ISO-8859-1\"").as_deref(), Some("ISO-8859-1"));
        assert_eq!(charset_param("text/html"), None);
        assert_eq!(meta_charset("<head><meta charset=\"utf-8\">").as_deref(), Some("utf-8"));
        assert_eq!(
            meta_charset("<meta http-equiv=\"content-type\" content=\"text/html; charset=windows-1252\">").as_deref(),
            Some("windows-1252")
        );
        assert_eq!(decode(b"caf\xe9", Some("text/html; charset=iso-8859-1")).unwrap(), "caf\u{e9}");
        assert!(decode(b"caf\xe9", Some("text/html")).unwrap_err().starts_with("not UTF-8"));
        assert!(decode(b"x", Some("text/html; charset=klingon")).unwrap_err().contains("unknown charset"));
        assert_eq!(decode(b"\xef\xbb\xbfhi", None).unwrap(), "hi");
    }

    #[test]
    fn chunked() {
        assert_eq!(dechunk(b"4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n", 100).unwrap(), b"Wikipedia");
        assert!(dechunk(b"zz\r\nab", 100).unwrap_err().contains("chunk size"));
        assert!(dechunk(b"9\r\nab\r\n0\r\n", 100).unwrap_err().contains("past the end"));
        assert!(dechunk(b"4\r\nWiki\r\n0\r\n", 3).unwrap_err().contains("size limit"));
    }

    #[test]
    fn nesting() {
        let page = "<html><head><title><b></title><script>if (a<b) {}</script></head><body><div><p>One<p>Two \
                    <img src=x><br/><!-- <div><div> --><ul><li>a<li>b</ul></div></body></html>";
        assert_eq!(nesting_estimate(page), 2);
        let deep = |n: usize| format!("<div><p>{}Deep.{}</div>", "<section>".repeat(n), "</section>".repeat(n));
        assert_eq!(nesting_estimate(&deep(3)), 4);
        let t = std::time::Instant::now();
        let e = extract(&deep(100_000), None).err().unwrap();
        assert_eq!(e, "unparseable HTML: elements nested about 100001 deep (limit 1024)");
        assert!(t.elapsed().as_secs() < 5, "refused before parsing");
        let e = extract(&deep(1500), None).err().unwrap();
        assert!(e.starts_with("unparseable HTML: elements nested 15") && e.ends_with("deep (limit 1024)"), "{e}");
        let mut doc = dom_query::Document::from("<div><span>x</span></div>");
        assert_eq!(dom_depth(&doc), 5); // document, html, body, div, span, text
        doc = dom_query::Document::from("");
        assert_eq!(dom_depth(&doc), 2); // document, html, head and body
    }

    #[test]
    fn the_docs_give_the_nesting_limit_of_the_code() {
        let limit = format!("nested over {},{:03} deep", MAX_DEPTH / 1000, MAX_DEPTH % 1000);
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
        assert!(readme.contains(&limit), "README.md says {limit:?}");
        assert!(include_str!("../batch.rs").contains(&limit), "the batch module doc says {limit:?}");
    }
}
