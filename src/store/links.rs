//! Links between two people of a course that keep them out of one group: hierarchical links
//! uploaded by staff, do-not-pair exclusions, and the private declarations of learners
//! (capped per learner). All scoped by course.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use super::entities::link;
use super::{CourseId, PersonId, Store, StoreError, Tx};

/// The most links one learner may declare in a course: enough for a manager and a few
/// colleagues, too few for one person to exclude a whole class from pairing.
pub const DECLARATION_CAP: u64 = 5;

/// What a stored link says about its two people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// `a` manages `b`.
    Manages,
    /// A hierarchical link of unknown direction.
    Hierarchical,
    /// The two must not be paired, for whatever reason.
    DoNotPair,
}

/// Who made a link, which decides how far it reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkSource {
    /// Declared by a learner, privately: excludes the declarer's own pairing only.
    Declared,
    /// Uploaded by staff as CSV: followed across levels when it is `Manages`.
    Uploaded,
    /// Added by staff on the pairs page.
    Staff,
}

impl LinkKind {
    /// The stored word (these words are in existing databases).
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Manages => "manages",
            LinkKind::Hierarchical => "hierarchical",
            LinkKind::DoNotPair => "do_not_pair",
        }
    }

    fn parse(s: &str) -> Option<LinkKind> {
        match s {
            "manages" => Some(LinkKind::Manages),
            "hierarchical" => Some(LinkKind::Hierarchical),
            "do_not_pair" => Some(LinkKind::DoNotPair),
            _ => None,
        }
    }
}

impl LinkSource {
    /// The stored word (these words are in existing databases).
    pub fn as_str(self) -> &'static str {
        match self {
            LinkSource::Declared => "declared",
            LinkSource::Uploaded => "uploaded",
            LinkSource::Staff => "staff",
        }
    }

    fn parse(s: &str) -> Option<LinkSource> {
        match s {
            "declared" => Some(LinkSource::Declared),
            "uploaded" => Some(LinkSource::Uploaded),
            "staff" => Some(LinkSource::Staff),
            _ => None,
        }
    }
}

/// A stored link between two people of a course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    pub id: i32,
    pub a_user: PersonId,
    pub b_user: PersonId,
    pub kind: LinkKind,
    pub source: LinkSource,
    pub created_by: String,
}

/// What a learner says about another in a declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclarationKind {
    /// The other person is my manager.
    TheyManageMe,
    /// I am the other person's manager.
    IManageThem,
    /// A hierarchical link, direction not said.
    Hierarchical,
}

/// What became of a declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclareOutcome {
    /// Stored.
    Added,
    /// The learner had already declared a link with this person; nothing changed.
    AlreadyDeclared,
    /// The learner already has [`DECLARATION_CAP`] declarations; nothing stored.
    LimitReached,
    /// The other person is not a learner of the course who can be paired (or is the
    /// declarer); nothing stored.
    UnknownPerson,
}

fn to_link(l: link::Model) -> Result<LinkRow, StoreError> {
    let kind = LinkKind::parse(&l.kind)
        .ok_or_else(|| StoreError::corrupt("links", l.id, "unknown kind"))?;
    let source = LinkSource::parse(&l.source)
        .ok_or_else(|| StoreError::corrupt("links", l.id, "unknown source"))?;
    Ok(LinkRow {
        id: l.id,
        a_user: PersonId::new(l.a_user),
        b_user: PersonId::new(l.b_user),
        kind,
        source,
        created_by: l.created_by,
    })
}

fn declared_by_filter(course_id: CourseId, user_id: &PersonId) -> Condition {
    Condition::all()
        .add(link::Column::CourseId.eq(course_id.get()))
        .add(link::Column::Source.eq(LinkSource::Declared.as_str()))
        .add(link::Column::CreatedBy.eq(user_id.as_str()))
}

impl Store {
    /// Every link of a course.
    pub async fn links(&self, course_id: CourseId) -> Result<Vec<LinkRow>, StoreError> {
        self.links_where(Condition::all().add(link::Column::CourseId.eq(course_id.get())))
            .await
    }

    /// The links that meet a condition, in the order they were made.
    async fn links_where(&self, condition: Condition) -> Result<Vec<LinkRow>, StoreError> {
        let rows = link::Entity::find()
            .filter(condition)
            .order_by_asc(link::Column::Id)
            .all(&self.db)
            .await?;
        rows.into_iter().map(to_link).collect()
    }

    /// The links a learner declared themselves (and only those).
    pub async fn declared_by(
        &self,
        course_id: CourseId,
        user_id: &PersonId,
    ) -> Result<Vec<LinkRow>, StoreError> {
        self.links_where(declared_by_filter(course_id, user_id))
            .await
    }

    /// How many links a learner declared in a course.
    pub async fn declaration_count(
        &self,
        course_id: CourseId,
        user_id: &PersonId,
    ) -> Result<u64, StoreError> {
        Ok(link::Entity::find()
            .filter(declared_by_filter(course_id, user_id))
            .count(&self.db)
            .await?)
    }

    /// Stores a learner's private declaration about another learner of the course, unless
    /// the other is unknown, it is already declared, or the learner reached
    /// [`DECLARATION_CAP`]. The checks and the insert are one transaction, serialised per
    /// course, so two declarations sent at once cannot both pass the cap.
    pub async fn add_declaration(
        &self,
        course_id: CourseId,
        by: &PersonId,
        other: &PersonId,
        kind: DeclarationKind,
        pairable: super::roster::Pairable,
        now: i64,
    ) -> Result<DeclareOutcome, StoreError> {
        if by == other {
            return Ok(DeclareOutcome::UnknownPerson);
        }
        let tx = self.begin(course_id).await?;
        tx.lock_course().await?;
        if !super::roster::pairable_in(&tx.txn, course_id, other.as_str(), pairable).await? {
            return Ok(DeclareOutcome::UnknownPerson);
        }
        let either_way = Condition::any()
            .add(
                Condition::all()
                    .add(link::Column::AUser.eq(by.as_str()))
                    .add(link::Column::BUser.eq(other.as_str())),
            )
            .add(
                Condition::all()
                    .add(link::Column::AUser.eq(other.as_str()))
                    .add(link::Column::BUser.eq(by.as_str())),
            );
        let existing = link::Entity::find()
            .filter(declared_by_filter(course_id, by))
            .filter(either_way)
            .count(&tx.txn)
            .await?;
        if existing > 0 {
            return Ok(DeclareOutcome::AlreadyDeclared);
        }
        let count = link::Entity::find()
            .filter(declared_by_filter(course_id, by))
            .count(&tx.txn)
            .await?;
        if count >= DECLARATION_CAP {
            return Ok(DeclareOutcome::LimitReached);
        }
        let (a, b, kind) = match kind {
            DeclarationKind::TheyManageMe => (other, by, LinkKind::Manages),
            DeclarationKind::IManageThem => (by, other, LinkKind::Manages),
            DeclarationKind::Hierarchical => (by, other, LinkKind::Hierarchical),
        };
        tx.add_link(a, b, kind, LinkSource::Declared, by.as_str(), now)
            .await?;
        tx.commit().await?;
        Ok(DeclareOutcome::Added)
    }

    /// Removes a link a learner declared themselves.
    pub async fn remove_declared_link(
        &self,
        course_id: CourseId,
        by: &PersonId,
        id: i32,
    ) -> Result<(), StoreError> {
        link::Entity::delete_many()
            .filter(declared_by_filter(course_id, by))
            .filter(link::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

impl Tx<'_> {
    /// Adds a link of the course (idempotent); true when it is new.
    pub async fn add_link(
        &self,
        a: &PersonId,
        b: &PersonId,
        kind: LinkKind,
        source: LinkSource,
        by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let row = link::ActiveModel {
            course_id: Set(self.course.get()),
            a_user: Set(a.to_string()),
            b_user: Set(b.to_string()),
            kind: Set(kind.as_str().to_string()),
            source: Set(source.as_str().to_string()),
            created_by: Set(by.to_string()),
            created_at: Set(now),
            ..Default::default()
        };
        let n = link::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    link::Column::CourseId,
                    link::Column::AUser,
                    link::Column::BUser,
                    link::Column::Kind,
                    link::Column::Source,
                    link::Column::CreatedBy,
                ])
                // Each person's declaration stands on its own: two learners declaring the
                // same link keep two rows, so one withdrawing does not undo the other.
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&self.txn)
            .await?;
        Ok(n > 0)
    }
}
