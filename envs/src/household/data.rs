//! The household world's tables: which receptacles are openable, which objects may go in which
//! receptacle, which objects can be cleaned, heated, cooled or toggled, and the rooms the
//! generator builds.
//!
//! The rule sets follow ALFWorld (`alfworld/gen/constants.py`: `OPENABLE_CLASS_LIST`,
//! `VAL_RECEPTACLE_OBJECTS`, `VAL_ACTION_OBJECTS`); the tables here are hone's own reduced,
//! lower-cased versions of those facts, not copies of the file. Unknown kinds (in hand-written
//! game files) are allowed: an unknown receptacle accepts every object, an unknown object can be
//! picked up and nothing else.

/// Receptacles with a door or lid (ALFWorld: Fridge, Cabinet, Microwave, Drawer, Safe, Box).
pub const OPENABLE: &[&str] = &["box", "cabinet", "drawer", "fridge", "microwave", "safe"];

/// Objects that can be toggled with `use` (ALFWorld: DeskLamp, FloorLamp).
pub const TOGGLEABLE: &[&str] = &["desklamp", "floorlamp"];

/// Objects that never leave their receptacle.
pub const FIXED: &[&str] = &["desklamp", "floorlamp", "houseplant"];

/// Cleanable at a sinkbasin.
pub const CLEANABLE: &[&str] = &[
    "apple",
    "bowl",
    "butterknife",
    "cloth",
    "cup",
    "dishsponge",
    "egg",
    "fork",
    "kettle",
    "knife",
    "ladle",
    "lettuce",
    "mug",
    "pan",
    "plate",
    "pot",
    "potato",
    "soapbar",
    "spatula",
    "spoon",
    "tomato",
];

/// Heatable in a microwave.
pub const HEATABLE: &[&str] = &[
    "apple", "bread", "cup", "egg", "mug", "plate", "potato", "tomato",
];

/// Coolable in a fridge.
pub const COOLABLE: &[&str] = &[
    "apple",
    "bread",
    "bowl",
    "cup",
    "egg",
    "lettuce",
    "mug",
    "pan",
    "plate",
    "pot",
    "potato",
    "tomato",
    "winebottle",
];

const FOOD: &[&str] = &["apple", "bread", "egg", "lettuce", "potato", "tomato"];
const DISHES: &[&str] = &["bowl", "cup", "mug", "plate"];
const COOKWARE: &[&str] = &["kettle", "pan", "pot"];
const UTENSILS: &[&str] = &["butterknife", "fork", "knife", "ladle", "spatula", "spoon"];
const CONDIMENTS: &[&str] = &["peppershaker", "saltshaker", "winebottle"];
const BATH: &[&str] = &[
    "candle",
    "cloth",
    "dishsponge",
    "soapbar",
    "soapbottle",
    "spraybottle",
    "tissuebox",
    "toiletpaper",
];
const SMALL: &[&str] = &[
    "alarmclock",
    "book",
    "cd",
    "cellphone",
    "creditcard",
    "keychain",
    "pen",
    "pencil",
    "remotecontrol",
    "statue",
    "vase",
    "watch",
];
const SOFT: &[&str] = &["book", "cellphone", "laptop", "newspaper", "pillow"];

/// Object kinds a receptacle kind accepts (`put X in/on Y`). `None`: unknown kind, accepts all.
pub fn accepts(receptacle: &str) -> Option<Vec<&'static str>> {
    let mut v: Vec<&'static str> = Vec::new();
    let mut add = |xs: &[&'static str]| v.extend_from_slice(xs);
    match receptacle {
        "countertop" | "diningtable" => {
            add(FOOD);
            add(DISHES);
            add(COOKWARE);
            add(UTENSILS);
            add(CONDIMENTS);
            add(&[
                "dishsponge",
                "soapbottle",
                "spraybottle",
                "cellphone",
                "creditcard",
            ]);
            add(&[
                "keychain",
                "book",
                "laptop",
                "vase",
                "statue",
                "candle",
                "newspaper",
            ]);
        }
        "cabinet" => {
            add(DISHES);
            add(COOKWARE);
            add(CONDIMENTS);
            add(BATH);
            add(&["bread", "book", "vase", "statue"]);
        }
        // ALFWorld's Drawer takes small things but no mug (the example).
        "drawer" => {
            add(UTENSILS);
            add(SMALL);
            add(&[
                "cloth",
                "dishsponge",
                "soapbar",
                "spraybottle",
                "toiletpaper",
            ]);
            add(&["peppershaker", "saltshaker", "candle"]);
        }
        "fridge" => {
            add(FOOD);
            add(DISHES);
            add(&["pan", "pot", "winebottle"]);
        }
        "microwave" => {
            add(FOOD);
            add(DISHES);
        }
        "sinkbasin" | "bathtubbasin" => {
            add(FOOD);
            add(DISHES);
            add(COOKWARE);
            add(UTENSILS);
            add(&["cloth", "dishsponge", "soapbar"]);
        }
        "stoveburner" => add(COOKWARE),
        "coffeemachine" => add(&["mug", "cup"]),
        "toaster" => {}
        "garbagecan" => {
            add(FOOD);
            add(&[
                "cd",
                "cloth",
                "creditcard",
                "dishsponge",
                "newspaper",
                "pen",
                "pencil",
            ]);
            add(&[
                "soapbar",
                "soapbottle",
                "spraybottle",
                "tissuebox",
                "toiletpaper",
            ]);
        }
        "toilet" => add(&[
            "candle",
            "cloth",
            "soapbar",
            "soapbottle",
            "spraybottle",
            "tissuebox",
            "toiletpaper",
        ]),
        "toiletpaperhanger" => add(&["toiletpaper"]),
        "towelholder" => add(&["towel"]),
        "handtowelholder" => add(&["handtowel"]),
        "bed" | "sofa" | "armchair" => {
            add(SOFT);
            add(&["creditcard", "keychain", "remotecontrol", "box"]);
        }
        "desk" | "sidetable" | "dresser" | "coffeetable" | "shelf" | "tvstand" => {
            add(SMALL);
            add(SOFT);
            add(&["bowl", "mug", "cup", "plate", "box", "candle", "tissuebox"]);
            add(&[
                "desklamp",
                "floorlamp",
                "houseplant",
                "soapbottle",
                "spraybottle",
            ]);
            add(&["saltshaker", "peppershaker", "winebottle"]);
        }
        "safe" => add(&[
            "cd",
            "cellphone",
            "creditcard",
            "keychain",
            "statue",
            "vase",
            "watch",
        ]),
        "box" => add(&[
            "cd",
            "cellphone",
            "creditcard",
            "keychain",
            "pen",
            "pencil",
            "watch",
        ]),
        _ => return None,
    }
    Some(v)
}

/// A room the generator can build: receptacle kinds with how many of each (min, max), and the
/// object kinds that may appear in it.
pub struct RoomKind {
    pub name: &'static str,
    pub receptacles: &'static [(&'static str, u32, u32)],
    pub objects: &'static [&'static str],
}

pub const ROOMS: &[RoomKind] = &[
    RoomKind {
        name: "kitchen",
        receptacles: &[
            ("cabinet", 3, 10),
            ("coffeemachine", 1, 1),
            ("countertop", 1, 3),
            ("diningtable", 0, 1),
            ("drawer", 2, 6),
            ("fridge", 1, 1),
            ("garbagecan", 1, 1),
            ("microwave", 1, 1),
            ("shelf", 0, 3),
            ("sinkbasin", 1, 1),
            ("stoveburner", 2, 4),
            ("toaster", 1, 1),
        ],
        objects: &[
            "apple",
            "bowl",
            "bread",
            "butterknife",
            "cup",
            "dishsponge",
            "egg",
            "fork",
            "kettle",
            "knife",
            "ladle",
            "lettuce",
            "mug",
            "pan",
            "peppershaker",
            "plate",
            "pot",
            "potato",
            "saltshaker",
            "soapbottle",
            "spatula",
            "spoon",
            "tomato",
            "winebottle",
        ],
    },
    RoomKind {
        name: "bathroom",
        receptacles: &[
            ("bathtubbasin", 0, 1),
            ("cabinet", 2, 4),
            ("countertop", 1, 1),
            ("drawer", 0, 4),
            ("garbagecan", 1, 1),
            ("handtowelholder", 0, 1),
            ("shelf", 0, 2),
            ("sinkbasin", 1, 2),
            ("toilet", 1, 1),
            ("toiletpaperhanger", 1, 1),
            ("towelholder", 1, 1),
        ],
        objects: &[
            "candle",
            "cloth",
            "dishsponge",
            "handtowel",
            "soapbar",
            "soapbottle",
            "spraybottle",
            "tissuebox",
            "toiletpaper",
            "towel",
        ],
    },
    RoomKind {
        name: "bedroom",
        receptacles: &[
            ("bed", 1, 1),
            ("desk", 1, 1),
            ("drawer", 2, 6),
            ("dresser", 0, 1),
            ("garbagecan", 1, 1),
            ("safe", 0, 1),
            ("shelf", 1, 5),
            ("sidetable", 1, 2),
        ],
        objects: &[
            "alarmclock",
            "book",
            "bowl",
            "cd",
            "cellphone",
            "creditcard",
            "keychain",
            "laptop",
            "mug",
            "pen",
            "pencil",
            "pillow",
            "vase",
            "watch",
        ],
    },
    RoomKind {
        name: "livingroom",
        receptacles: &[
            ("armchair", 1, 2),
            ("box", 0, 1),
            ("cabinet", 0, 4),
            ("coffeetable", 1, 1),
            ("drawer", 1, 4),
            ("garbagecan", 1, 1),
            ("safe", 0, 1),
            ("shelf", 0, 4),
            ("sidetable", 1, 2),
            ("sofa", 1, 1),
            ("tvstand", 1, 1),
        ],
        objects: &[
            "book",
            "cd",
            "cellphone",
            "creditcard",
            "keychain",
            "laptop",
            "newspaper",
            "pillow",
            "remotecontrol",
            "statue",
            "tissuebox",
            "vase",
            "watch",
        ],
    },
];

pub fn room(name: &str) -> Option<&'static RoomKind> {
    ROOMS.iter().find(|r| r.name == name)
}

/// Objects in a lamp-lit room that make good `look_at_obj_in_light` targets.
pub const LOOKABLE: &[&str] = &[
    "alarmclock",
    "book",
    "bowl",
    "cd",
    "cellphone",
    "creditcard",
    "keychain",
    "laptop",
    "mug",
    "newspaper",
    "pen",
    "pencil",
    "pillow",
    "remotecontrol",
    "statue",
    "vase",
    "watch",
];

pub fn contains(list: &[&str], kind: &str) -> bool {
    list.contains(&kind)
}
