//! Closed sets of names (agents, strategies, splits, reflection variants …), each defined once:
//! [`named_enum!`](crate::named_enum) gives an enum its list (`ALL`), its names (`name`,
//! `parse`, `FromStr`, `Display`), serde as that name, and, when hone-core is built with the
//! `clap` feature, `clap::ValueEnum`, so a command line offers exactly these values and lists
//! them in its help and errors.

#[doc(hidden)]
pub use serde as __serde;

#[cfg(feature = "clap")]
#[doc(hidden)]
pub use clap as __clap;

/// Implements `clap::ValueEnum` for a [`named_enum!`](crate::named_enum) type (only with the
/// `clap` feature of hone-core; otherwise it expands to nothing).
#[cfg(feature = "clap")]
#[doc(hidden)]
#[macro_export]
macro_rules! __value_enum {
    ($name:ident) => {
        impl $crate::named::__clap::ValueEnum for $name {
            fn value_variants<'a>() -> &'a [Self] {
                Self::ALL
            }
            fn to_possible_value(&self) -> Option<$crate::named::__clap::builder::PossibleValue> {
                Some(
                    $crate::named::__clap::builder::PossibleValue::new(self.name())
                        .aliases(self.aliases().iter().copied()),
                )
            }
        }
    };
}

#[cfg(not(feature = "clap"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __value_enum {
    ($name:ident) => {};
}

/// Defines an enum whose variants are a closed set of names:
///
/// ```
/// hone_core::named_enum! {
///     /// How hot.
///     pub enum Heat { Mild = "mild", VeryHot = "very-hot" | "scorching" }
/// }
/// assert_eq!(Heat::VeryHot.name(), "very-hot");
/// assert_eq!("mild".parse::<Heat>(), Ok(Heat::Mild));
/// assert_eq!("scorching".parse::<Heat>(), Ok(Heat::VeryHot));
/// assert!("warm".parse::<Heat>().unwrap_err().contains("mild, very-hot"));
/// assert_eq!(serde_json::to_string(&Heat::Mild).unwrap(), "\"mild\"");
/// ```
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)*),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value's name, as the command line and serialized files spell it.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Other names accepted for the value.
            pub fn aliases(self) -> &'static [&'static str] {
                match self {
                    $($name::$variant => &[$($alias),*]),+
                }
            }

            /// The value named `s` (or one of its aliases), if any.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.name() == s || v.aliases().contains(&s))
            }

            /// Every name, comma-separated (for messages).
            pub fn names() -> String {
                Self::ALL
                    .iter()
                    .map(|v| v.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s).ok_or_else(|| {
                    format!(
                        "unknown {} `{s}` (one of {})",
                        stringify!($name),
                        Self::names()
                    )
                })
            }
        }

        impl $crate::named::__serde::Serialize for $name {
            fn serialize<S: $crate::named::__serde::Serializer>(
                &self,
                s: S,
            ) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> $crate::named::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::named::__serde::Deserializer<'de>>(
                d: D,
            ) -> Result<Self, D::Error> {
                let s = <String as $crate::named::__serde::Deserialize>::deserialize(d)?;
                s.parse()
                    .map_err(<D::Error as $crate::named::__serde::de::Error>::custom)
            }
        }

        $crate::__value_enum!($name);
    };
}

#[cfg(test)]
mod tests {
    crate::named_enum! {
        enum Colour { Red = "red", DeepBlue = "deep-blue" }
    }

    #[test]
    fn names_parse_and_round_trip() {
        assert_eq!(Colour::ALL, &[Colour::Red, Colour::DeepBlue]);
        assert_eq!(Colour::parse("deep-blue"), Some(Colour::DeepBlue));
        assert_eq!(Colour::DeepBlue.to_string(), "deep-blue");
        let err = "green".parse::<Colour>().unwrap_err();
        assert_eq!(err, "unknown Colour `green` (one of red, deep-blue)");
        let json = serde_json::to_string(&Colour::Red).unwrap();
        assert_eq!(serde_json::from_str::<Colour>(&json).unwrap(), Colour::Red);
        assert!(serde_json::from_str::<Colour>("\"x\"").is_err());
    }
}
