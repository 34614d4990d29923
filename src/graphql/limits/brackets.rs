//! The one look at a document's text before it is parsed.

/// Brackets of any kind nested in the text. The parser recurses once per level before
/// any other limit can look, and a body of `[[[[…` or `{a{a{a…` thousands deep would
/// exhaust its stack (5,000 levels abort the process); GraphiQL's schema query: 12.
pub const MAX_TEXT_NESTING: usize = 64;

/// Whether `query` nests brackets too deep to be handed to the parser.
pub fn is_nested_too_deep(query: &str) -> bool {
    nests_deeper_than(query, MAX_TEXT_NESTING)
}

/// Whether brackets nest deeper than `limit` anywhere in `query`, outside strings and
/// comments. Unbalanced text is left to the parser to report.
pub(super) fn nests_deeper_than(query: &str, limit: usize) -> bool {
    const BLOCK_QUOTE: &[u8] = b"\"\"\"";
    let bytes = query.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'#' => {
                while bytes.get(i).is_some_and(|b| !matches!(b, b'\n' | b'\r')) {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(BLOCK_QUOTE) => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(BLOCK_QUOTE) {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while bytes
                    .get(i)
                    .is_some_and(|b| !matches!(b, b'"' | b'\n' | b'\r'))
                {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
}
