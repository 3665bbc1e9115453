//! What a cloud promises about each resource kind: how a change of each attribute reaches
//! it, and in which order a replacement runs. The cloud declares it as data (one table per
//! kind, beside the code that makes the calls); the plan reads it to tell updates from
//! replacements, and the executor refuses an update the table does not cover, so that an
//! attribute the lowering emits can never change in the state without reaching the cloud.

/// How a change of one attribute is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    /// Changed in place by this call (named by its IAM action).
    Update(&'static str),
    /// Cannot change in place: a new resource replaces the old one.
    Replace,
    /// Not sent with this resource: the text says who applies it (fgc itself when it
    /// deletes, another resource). Recorded without a call.
    Elsewhere(&'static str),
    /// Set by the cloud and only read: a change in the source is an error, since nothing
    /// would send it.
    ReadOnly,
}

/// The order of a replacement's two halves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// The new resource exists before the old one goes: what refers to it moves over
    /// without a gap, and the old one is deleted last.
    CreateFirst,
    /// The old one goes first; the text says why both cannot exist at once (a unique
    /// name, an exclusive association).
    DeleteFirst(&'static str),
}

/// One kind's contract.
#[derive(Debug, Clone, Copy)]
pub struct KindSpec {
    /// The IR kind (`aws_ecs_service`).
    pub kind: &'static str,
    pub replace: Order,
    /// Every attribute the lowering may emit for this kind, and the attributes a refresh
    /// may report beyond those (what exists outside fgc, such as rules added by hand).
    pub attrs: &'static [(&'static str, Handling)],
}

impl KindSpec {
    pub fn handling(&self, attr: &str) -> Option<Handling> {
        self.attrs.iter().find(|(name, _)| *name == attr).map(|(_, h)| *h)
    }
}

/// The contracts of every kind a cloud manages.
pub trait Contracts {
    fn contract(&self, kind: &str) -> Option<&'static KindSpec>;

    /// Whether changing `attr` replaces the resource. An attribute the contract does not
    /// declare is planned as an update, which the executor then refuses by name.
    fn immutable(&self, kind: &str, attr: &str) -> bool {
        self.contract(kind).and_then(|k| k.handling(attr)) == Some(Handling::Replace)
    }

    fn create_first(&self, kind: &str) -> bool {
        self.contract(kind).is_some_and(|k| k.replace == Order::CreateFirst)
    }
}

/// The attributes among `changed` that an update of `kind` cannot carry: undeclared,
/// read-only or replacing. Empty when every one has a call (or is applied elsewhere).
pub fn uncovered<'a>(contracts: &dyn Contracts, kind: &str, changed: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let spec = contracts.contract(kind);
    changed
        .into_iter()
        .filter(|a| !matches!(spec.and_then(|k| k.handling(a)), Some(Handling::Update(_) | Handling::Elsewhere(_))))
        .map(str::to_string)
        .collect()
}
