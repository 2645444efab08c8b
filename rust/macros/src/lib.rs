// SPDX-License-Identifier: MIT
//! `#[pin_data]` for the ksync crate, written against `proc_macro` alone
//! (no `syn`, no `quote`: nothing outside the repository is needed).
//!
//! It reads a struct with named fields, removes the `#[pin]` markers, and
//! adds, as the kernel's `#[pin_data]` does:
//! - a hidden pin-data type with one method per field, taking a `PinInit`
//!   for `#[pin]` fields and an `Init` for the others, which is how
//!   `pin_init!` refuses to initialise an unpinned field in place with an
//!   initialiser that needs pinning;
//! - `Unpin` for the struct only when every `#[pin]` field is `Unpin`;
//! - a compile error if the struct implements `Drop` (a `drop(&mut self)`
//!   could move a pinned field out).

use proc_macro::{Delimiter, Spacing, TokenStream, TokenTree};

/// Marks a struct for `pin_init!`; `#[pin]` marks its structurally pinned
/// fields.
#[proc_macro_attribute]
pub fn pin_data(args: TokenStream, item: TokenStream) -> TokenStream {
    if !args.is_empty() {
        return error("#[pin_data] takes no arguments (PinnedDrop is not supported)");
    }
    match Struct::parse(item) {
        Ok(s) => s.expand().parse().expect("generated code parses"),
        Err(msg) => error(&msg),
    }
}

fn error(msg: &str) -> TokenStream {
    format!("::core::compile_error!({msg:?});").parse().unwrap()
}

struct Field {
    attrs: String, // without #[pin]
    vis: String,
    name: String,
    ty: String,
    pinned: bool,
}

struct Struct {
    head: String, // attributes and visibility before `struct`
    name: String,
    generics: Vec<Vec<TokenTree>>, // the parameters as written
    where_preds: String,           // the where clause's predicates, without `where`
    fields: Vec<Field>,
}

fn is_punct(tt: &TokenTree, c: char) -> bool {
    matches!(tt, TokenTree::Punct(p) if p.as_char() == c)
}

fn is_ident(tt: &TokenTree, s: &str) -> bool {
    matches!(tt, TokenTree::Ident(i) if i.to_string() == s)
}

fn text(tts: &[TokenTree]) -> String {
    tts.iter().cloned().collect::<TokenStream>().to_string()
}

/// Splits at commas outside angle brackets (other brackets are groups).
fn split_top_level(tts: &[TokenTree]) -> Vec<Vec<TokenTree>> {
    let mut parts = vec![Vec::new()];
    let mut depth = 0i32;
    let mut prev_joint_minus = false;
    for tt in tts {
        let mut joint_minus = false;
        if let TokenTree::Punct(p) = tt {
            match p.as_char() {
                '<' => depth += 1,
                '>' if !prev_joint_minus => depth -= 1, // not the `>` of `->`
                ',' if depth == 0 => {
                    parts.push(Vec::new());
                    prev_joint_minus = false;
                    continue;
                }
                '-' => joint_minus = p.spacing() == Spacing::Joint,
                _ => {}
            }
        }
        prev_joint_minus = joint_minus;
        parts.last_mut().unwrap().push(tt.clone());
    }
    parts.retain(|p| !p.is_empty());
    parts
}

impl Struct {
    fn parse(item: TokenStream) -> Result<Self, String> {
        let tts: Vec<TokenTree> = item.into_iter().collect();
        let kw = tts
            .iter()
            .position(|tt| is_ident(tt, "struct"))
            .ok_or("#[pin_data] only applies to structs")?;
        let head = text(&tts[..kw]);
        let name = match tts.get(kw + 1) {
            Some(TokenTree::Ident(i)) => i.to_string(),
            _ => return Err("#[pin_data]: expected the struct's name".into()),
        };
        let mut i = kw + 2;
        let mut generics = Vec::new();
        if tts.get(i).is_some_and(|tt| is_punct(tt, '<')) {
            let start = i + 1;
            let mut depth = 1;
            let mut prev_joint_minus = false;
            i += 1;
            while depth > 0 {
                let tt = tts.get(i).ok_or("#[pin_data]: unclosed generics")?;
                let mut joint_minus = false;
                if let TokenTree::Punct(p) = tt {
                    match p.as_char() {
                        '<' => depth += 1,
                        '>' if !prev_joint_minus => depth -= 1,
                        '-' => joint_minus = p.spacing() == Spacing::Joint,
                        _ => {}
                    }
                }
                prev_joint_minus = joint_minus;
                i += 1;
            }
            generics = split_top_level(&tts[start..i - 1]);
        }
        let body = tts[i..]
            .iter()
            .position(|tt| matches!(tt, TokenTree::Group(g) if g.delimiter() == Delimiter::Brace))
            .map(|p| p + i)
            .ok_or("#[pin_data] needs a struct with named fields")?;
        let mut where_tts = &tts[i..body];
        if where_tts.first().is_some_and(|tt| is_ident(tt, "where")) {
            where_tts = &where_tts[1..];
        }
        let where_preds = text(where_tts);
        let TokenTree::Group(group) = &tts[body] else { unreachable!() };
        let inner: Vec<TokenTree> = group.stream().into_iter().collect();
        let fields = split_top_level(&inner)
            .into_iter()
            .map(|f| Field::parse(&f))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { head, name, generics, where_preds, fields })
    }

    /// The parameters for an `impl<...>`: as written, without defaults.
    fn impl_generics(&self) -> String {
        let mut out = String::new();
        for param in &self.generics {
            let end = param.iter().position(|tt| is_punct(tt, '=')).unwrap_or(param.len());
            out += &text(&param[..end]);
            out += ", ";
        }
        out
    }

    /// The arguments naming the parameters: `'a, T, N`.
    fn type_args(&self) -> String {
        let mut out = String::new();
        for param in &self.generics {
            let arg = match (&param[0], param.get(1)) {
                (TokenTree::Punct(p), Some(life)) if p.as_char() == '\'' => format!("'{life}"),
                (TokenTree::Ident(c), Some(n)) if c.to_string() == "const" => n.to_string(),
                (first, _) => first.to_string(),
            };
            out += &arg;
            out += ", ";
        }
        out
    }

    fn expand(&self) -> String {
        let Struct { head, name, where_preds, .. } = self;
        let ig = self.impl_generics();
        let ta = self.type_args();
        let wh =
            if where_preds.trim().is_empty() { String::new() } else { format!("{where_preds},") };
        let written_generics = if self.generics.is_empty() {
            String::new()
        } else {
            let params: Vec<String> = self.generics.iter().map(|p| text(p)).collect();
            format!("<{}>", params.join(", "))
        };
        let mut fields = String::new();
        let mut methods = String::new();
        let mut unpin_fields = String::new();
        for f in &self.fields {
            let Field { attrs, vis, name: fname, ty, pinned } = f;
            fields += &format!("{attrs} {vis} {fname}: {ty},\n");
            let (bound, call) =
                if *pinned { ("PinInit", "__pinned_init") } else { ("Init", "__init") };
            methods += &format!(
                "#[allow(dead_code)]
                 {vis} unsafe fn {fname}<__E>(self, slot: *mut {ty},
                     init: impl ::ksync::init::{bound}<{ty}, __E>) -> ::core::result::Result<(), __E> {{
                     // SAFETY: passed on from the pin_init! expansion.
                     unsafe {{ ::ksync::init::{bound}::{call}(init, slot) }}
                 }}\n"
            );
            if *pinned {
                unpin_fields += &format!("{fname}: {ty},\n");
            }
        }
        let phantom = format!("::core::marker::PhantomData<fn({name}<{ta}>) -> {name}<{ta}>>");
        format!(
            "{head} struct {name} {written_generics} where {where_preds} {{ {fields} }}

            const _: () = {{
                #[doc(hidden)]
                pub struct __ThePinData<{ig}> where {wh} {{
                    __phantom: {phantom},
                }}
                impl<{ig}> ::core::clone::Clone for __ThePinData<{ta}> where {wh} {{
                    fn clone(&self) -> Self {{ *self }}
                }}
                impl<{ig}> ::core::marker::Copy for __ThePinData<{ta}> where {wh} {{}}
                impl<{ig}> __ThePinData<{ta}> where {wh} {{
                    {methods}
                }}
                // SAFETY: each method initialises its field, with PinInit
                // only for the #[pin] fields.
                unsafe impl<{ig}> ::ksync::init::__internal::HasPinData for {name}<{ta}> where {wh} {{
                    type PinData = __ThePinData<{ta}>;
                    unsafe fn __pin_data() -> Self::PinData {{
                        __ThePinData {{ __phantom: ::core::marker::PhantomData }}
                    }}
                }}

                // Unpin only if every pinned field is.
                #[allow(dead_code)]
                struct __Unpin<'__pin, {ig}> where {wh} {{
                    __phantom_pin: ::core::marker::PhantomData<fn(&'__pin ()) -> &'__pin ()>,
                    __phantom: {phantom},
                    {unpin_fields}
                }}
                impl<'__pin, {ig}> ::core::marker::Unpin for {name}<{ta}>
                where __Unpin<'__pin, {ta}>: ::core::marker::Unpin, {wh} {{}}

                // A Drop impl could move a pinned field out of &mut self:
                // implementing Drop for the struct makes these overlap.
                trait MustNotImplDrop {{}}
                #[allow(drop_bounds)]
                impl<T: ::core::ops::Drop + ?::core::marker::Sized> MustNotImplDrop for T {{}}
                impl<{ig}> MustNotImplDrop for {name}<{ta}> where {wh} {{}}
            }};"
        )
    }
}

impl Field {
    fn parse(tts: &[TokenTree]) -> Result<Self, String> {
        let mut i = 0;
        let mut attrs = String::new();
        let mut pinned = false;
        while i + 1 < tts.len() && is_punct(&tts[i], '#') {
            let TokenTree::Group(g) = &tts[i + 1] else {
                return Err("#[pin_data]: malformed field attribute".into());
            };
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            if inner.len() == 1 && is_ident(&inner[0], "pin") {
                pinned = true;
            } else {
                attrs += &text(&tts[i..i + 2]);
                attrs.push(' ');
            }
            i += 2;
        }
        let colon = tts[i..]
            .iter()
            .position(|tt| is_punct(tt, ':'))
            .map(|p| p + i)
            .ok_or("#[pin_data] needs a struct with named fields")?;
        let name = match colon.checked_sub(1).map(|n| &tts[n]) {
            Some(TokenTree::Ident(id)) if colon > i => id.to_string(),
            _ => return Err("#[pin_data]: expected a field name".into()),
        };
        Ok(Self { attrs, vis: text(&tts[i..colon - 1]), name, ty: text(&tts[colon + 1..]), pinned })
    }
}
