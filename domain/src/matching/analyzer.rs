//! Text analysis (文本分析): normalisation, word segmentation (分词) with jieba and the programme's
//! domain dictionary, sub-words, stop words.
//!
//! Every text the engine sees, whether indexed or asked for, goes through [`Analyzer::tokens`]:
//!
//! 1. **Normalise**: full-width ASCII (`ＰＥＭ`, `３Ｄ`) becomes half-width, the ideographic space a
//!    space, dashes (`—`, `－`) a hyphen.
//! 2. **Segment** with jieba (exact mode, HMM on for unknown words) using its general dictionary
//!    without the words of frequency below 5 (`data/jieba-dictionary.txt`: 136 547 of 349 045
//!    words, 6 MB in memory instead of 33 MB, the same held-out matching figures) plus
//!    `data/matching-dictionary.txt`, so that `电解水制氢` stays one word.
//! 3. **Sub-words**: a word of two characters or more also yields, marked as sub-words, the
//!    dictionary words inside it (`电解水制氢` → `电解水`, `电解`, `制氢`, `氢`), as jieba's search
//!    mode does for 2- and 3-character words, but at any length and with the listed single
//!    characters. A search for `制氢` then finds a text that says `电解水制氢`, and a whole-word
//!    match still scores above a partial one. Some sub-words are fragments of names that jieba's
//!    general dictionary happens to hold (`林郭勒` in `锡林郭勒`): they only ever occur with the
//!    whole name, so they add to its weight rather than match elsewhere.
//! 4. **Filter**: terms are lower-cased; stop words (`data/matching-stopwords.txt`), numbers,
//!    punctuation and single characters are dropped, except the single characters the domain
//!    dictionary lists (`钽`, `氢`, `牛`).

use jieba_rs::Jieba;
use rustc_hash::FxHashSet;

/// jieba's general dictionary, without its rarest words (see `data/README.md`).
const GENERAL_DICTIONARY: &str = include_str!("../../data/jieba-dictionary.txt");
const DICTIONARY: &str = include_str!("../../data/matching-dictionary.txt");
const STOP_WORDS: &str = include_str!("../../data/matching-stopwords.txt");

/// Longest word (in characters) whose sub-words are looked for; longer runs are Latin text,
/// numbers or HMM accidents, not compounds.
const MAX_COMPOUND_CHARS: usize = 12;

/// One term of an analysed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The term, normalised and lower-cased.
    pub term: String,
    /// Whether the term is a sub-word of a longer word of the text (`制氢` in `电解水制氢`).
    pub sub: bool,
}

/// How text is cut into terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// jieba words plus their sub-words (the engine's analysis).
    Words,
    /// Every Han character alone, Latin and digit runs whole: the baseline the evaluation compares
    /// against, never used in production.
    Characters,
}

/// The analyser: jieba with the domain dictionary, the stop words and the single characters that
/// count as terms. Building one loads jieba's dictionary (~0.1 s); build it once and
/// share it (it is `Send + Sync` and all methods take `&self`).
#[derive(Debug, Clone)]
pub struct Analyzer {
    jieba: Jieba,
    stop_words: FxHashSet<String>,
    singles: FxHashSet<char>,
    mode: Mode,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    /// jieba's general dictionary plus the programme's domain dictionary.
    pub fn new() -> Self {
        Self::build(true, Mode::Words)
    }

    /// jieba's general dictionary only (no domain words, no single-character terms): for the
    /// evaluation's comparison.
    pub fn without_domain_dictionary() -> Self {
        Self::build(false, Mode::Words)
    }

    /// Single characters instead of words: the baseline the evaluation compares against.
    pub fn single_characters() -> Self {
        Self::build(false, Mode::Characters)
    }

    fn build(domain: bool, mode: Mode) -> Self {
        let mut jieba = Jieba::with_dict(&mut GENERAL_DICTIONARY.as_bytes())
            .expect("the general dictionary is well-formed");
        let mut singles = FxHashSet::default();
        if domain {
            let mut entries: Vec<(&str, Option<usize>, Option<&str>)> = DICTIONARY
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(|l| {
                    let mut parts = l.split_whitespace();
                    let word = parts.next().expect("non-empty line");
                    let freq = parts
                        .next()
                        .map(|f| f.parse().expect("dictionary frequency"));
                    (word, freq, parts.next())
                })
                .collect();
            // shorter words first, so that a compound's suggested frequency accounts for its parts
            entries.sort_by_key(|(w, _, _)| w.chars().count());
            for (word, freq, tag) in entries {
                let mut chars = word.chars();
                if let (Some(c), None) = (chars.next(), chars.next()) {
                    singles.insert(c);
                } else {
                    jieba.add_word(word, freq, tag);
                }
            }
        }
        let stop_words = STOP_WORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_lowercase)
            .collect();
        Analyzer {
            jieba,
            stop_words,
            singles,
            mode,
        }
    }

    /// The terms of `text`: words and their sub-words, in text order (repeated as often as they
    /// occur). See the module documentation for the steps.
    pub fn terms(&self, text: &str) -> Vec<String> {
        self.tokens(text).into_iter().map(|t| t.term).collect()
    }

    /// The words of `text` without their sub-words: what a keyword search requires.
    pub fn words(&self, text: &str) -> Vec<String> {
        self.tokens(text)
            .into_iter()
            .filter(|t| !t.sub)
            .map(|t| t.term)
            .collect()
    }

    /// The terms of `text`, each marked whole word or sub-word.
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        let text = normalize(text);
        let mut out = Vec::new();
        match self.mode {
            Mode::Words => {
                for token in self.jieba.cut(&text, true) {
                    self.push_word(token.word, &mut out);
                }
            }
            Mode::Characters => {
                let mut latin = String::new();
                for c in text.chars() {
                    if c.is_ascii_alphanumeric() {
                        latin.push(c);
                        continue;
                    }
                    if !latin.is_empty() {
                        self.push_plain(&std::mem::take(&mut latin), &mut out);
                    }
                    if is_han(c) {
                        let s = c.to_string();
                        if !self.stop_words.contains(&s) {
                            out.push(Token {
                                term: s,
                                sub: false,
                            });
                        }
                    }
                }
                if !latin.is_empty() {
                    self.push_plain(&latin, &mut out);
                }
            }
        }
        out
    }

    /// Whether `term` is a stop word.
    pub fn is_stop_word(&self, term: &str) -> bool {
        self.stop_words.contains(term)
    }

    fn push_plain(&self, word: &str, out: &mut Vec<Token>) {
        let term = word.to_lowercase();
        if self.keeps(&term) {
            out.push(Token { term, sub: false });
        }
    }

    /// Pushes a jieba word and the dictionary words inside it.
    fn push_word(&self, word: &str, out: &mut Vec<Token>) {
        let term = word.trim().to_lowercase();
        if term.is_empty() {
            return;
        }
        if self.stop_words.contains(&term) {
            return; // nor its parts: 内蒙古 says nothing, and neither do 内蒙 and 蒙古
        }
        if self.keeps(&term) {
            out.push(Token {
                term: term.clone(),
                sub: false,
            });
        }
        let chars: Vec<char> = word.trim().chars().collect();
        let n = chars.len();
        if !(2..=MAX_COMPOUND_CHARS).contains(&n) || !chars.iter().any(|&c| is_han(c)) {
            return;
        }
        let first = out.len();
        for len in (1..n).rev() {
            for start in 0..=n - len {
                let sub: String = chars[start..start + len].iter().collect();
                let known = if len == 1 {
                    self.singles.contains(&chars[start])
                } else {
                    self.jieba.has_word(&sub)
                };
                if !known {
                    continue;
                }
                let sub = sub.to_lowercase();
                if self.keeps(&sub) && !out[first..].iter().any(|t| t.term == sub) {
                    out.push(Token {
                        term: sub,
                        sub: true,
                    });
                }
            }
        }
    }

    /// Whether a lower-cased candidate term is kept: not a stop word, not punctuation or a
    /// number, not a lone character unless the domain dictionary lists it.
    fn keeps(&self, term: &str) -> bool {
        let mut chars = term.chars();
        let Some(first) = chars.next() else {
            return false;
        };
        if chars.next().is_none() {
            return self.singles.contains(&first) || self.mode == Mode::Characters && is_han(first);
        }
        if !term.chars().any(char::is_alphabetic) {
            return false; // numbers, percentages, punctuation runs
        }
        // a quantity with a unit (`4.3kwh`, `1000nm³`), not `5g` or `3d打印`
        let unit = term.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ',');
        if unit.len() < term.len() {
            let letters: String = unit.chars().take_while(char::is_ascii_alphabetic).collect();
            if letters.is_empty() || self.stop_words.contains(&letters) {
                return false;
            }
        }
        !self.stop_words.contains(term)
    }
}

/// Whether `c` is a CJK unified ideograph (汉字).
fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// Full-width ASCII to half-width, the ideographic space to a space, dashes to a hyphen.
pub fn normalize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '—' | '–' | '‐' => '-',
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::tests::analyzer;

    #[test]
    fn the_domain_dictionary_keeps_programme_words_whole() {
        let a = analyzer();
        for word in [
            "电解水制氢",
            "单晶硅",
            "苜蓿",
            "肉牛",
            "蒙医药",
            "稀土永磁",
            "钕铁硼",
        ] {
            let words = a.words(&format!("开展{word}关键技术研究"));
            assert!(words.contains(&word.to_string()), "{word}: {words:?}");
        }
        let words = a.words("千标方级电解水制氢关键装备研制");
        assert!(words.contains(&"电解水制氢".to_string()), "{words:?}");
        assert!(
            !words.contains(&"电解".to_string()),
            "电解 is a sub-word here: {words:?}"
        );
    }

    #[test]
    fn words_yield_their_dictionary_sub_words() {
        let a = analyzer();
        let tokens = a.tokens("电解水制氢");
        let subs: Vec<&str> = tokens
            .iter()
            .filter(|t| t.sub)
            .map(|t| t.term.as_str())
            .collect();
        for sub in ["制氢", "电解", "电解水", "氢"] {
            assert!(subs.contains(&sub), "{sub}: {subs:?}");
        }
        assert_eq!(tokens.iter().filter(|t| !t.sub).count(), 1);
    }

    #[test]
    fn stop_words_numbers_and_lone_characters_are_dropped() {
        let a = analyzer();
        let terms =
            a.terms("针对我区的关键技术问题，开展研究：≥1000 kg/亩，提高20%，≤4.3kWh/Nm³。");
        assert!(terms.is_empty(), "{terms:?}");
        // a listed single character is a term
        assert_eq!(a.terms("钽"), vec!["钽"]);
    }

    #[test]
    fn full_width_and_case_are_normalised() {
        let a = analyzer();
        assert_eq!(a.terms("ＰＥＭ"), a.terms("pem"));
        assert!(a.terms("面向5G场景").contains(&"5g".to_string()));
    }

    #[test]
    fn without_the_domain_dictionary_compounds_fall_apart() {
        let plain = Analyzer::without_domain_dictionary();
        let words = plain.words("电解水制氢");
        assert!(!words.contains(&"电解水制氢".to_string()), "{words:?}");
    }

    #[test]
    fn the_character_baseline_cuts_han_text_into_characters() {
        let chars = Analyzer::single_characters();
        assert_eq!(chars.terms("苜蓿 PEM"), vec!["苜", "蓿", "pem"]);
    }
}
