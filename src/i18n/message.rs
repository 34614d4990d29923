use std::borrow::Cow;

/// Words for people, named by their Fluent id (`templates/locales/*/*.ftl`): the
/// language is chosen when the answer's reader is known, not where the message is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    id: Cow<'static, str>,
    args: Vec<(&'static str, Arg)>,
}

/// A value placed in a message: text as is, a number Fluent picks plurals for, or
/// another message, said in the same language ("an unknown device").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(Cow<'static, str>),
    Number(i64),
    Said(Message),
}

impl Message {
    pub fn new(id: impl Into<Cow<'static, str>>) -> Self {
        Self {
            id: id.into(),
            args: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        self.args.push((name, value.into()));
        self
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn args(&self) -> &[(&'static str, Arg)] {
        &self.args
    }
}

impl From<Message> for Arg {
    fn from(message: Message) -> Self {
        Self::Said(message)
    }
}

impl From<&'static str> for Arg {
    fn from(text: &'static str) -> Self {
        Self::Text(Cow::Borrowed(text))
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Self {
        Self::Text(Cow::Owned(text))
    }
}

impl From<&String> for Arg {
    fn from(text: &String) -> Self {
        Self::Text(Cow::Owned(text.clone()))
    }
}

macro_rules! number_args {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Self {
                Self::Number(i64::try_from(n).unwrap_or(i64::MAX))
            }
        }
    )*};
}

number_args!(u32, u64, usize, i32, i64);
