"""003: the breach categories, from the policy's terms of use and guidance for staff.

Written out here rather than imported, so this migration means the same thing for ever. The
head can rename, reorder, add and retire categories in the app afterwards.
"""

import peewee as pw
from peewee_migrate import Migrator

# slug, label, safeguarding (routed to the DSL), restricted (head only), material to delete
CATEGORIES = [
    ("photographing", "Photographing or recording pupils or staff on a phone", True, False, "photo"),
    ("reference_without_permission",
     "Posting about staff, pupils, parents or a school event without the Headteacher's permission",
     False, False, "post"),
    ("school_matters", "Discussing school matters, staff, pupils or parents on social media",
     False, False, "post"),
    ("defamatory", "Defamatory, discriminatory, offensive or illegal content, or a breach of "
     "copyright or data protection", False, False, "post"),
    ("abusive", "Abusive or hateful use of social media", False, False, "post"),
    ("commercial", "Promoting personal business, finances or campaigns", False, False, "post"),
    ("conduct", "Breaking the school's codes of conduct, misconduct, equal opportunities or "
     "bullying and harassment policies", False, False, ""),
    ("pupil_contact", "Member of staff in contact with a pupil, or an ex-pupil under 18, on "
     "social media", True, True, ""),
    ("representative", "Member of staff identifying as a representative of the school",
     False, True, ""),
    ("family_link", "Family link with a pupil on social media not declared to the Headteacher",
     False, True, ""),
    ("working_day", "Social networking during the working day (pupils or adults)", True, False, ""),
    ("disclosure_adult", "Disclosure that an adult employed by the school uses social networking "
     "inappropriately", True, True, ""),
    ("other", "Something else", False, False, ""),
]


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the categories (only into an empty table)."""
    def seed():
        category = migrator.orm["breach_category"]
        if category.select().exists():
            return
        for position, (slug, label, safeguarding, restricted, material) in enumerate(CATEGORIES):
            category.create(slug=slug, label=label, safeguarding=safeguarding,
                            restricted=restricted, material=material, position=position,
                            active=True)
    migrator.run(seed)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove the seeded categories that no breach uses."""
    def unseed():
        category = migrator.orm["breach_category"]
        slugs = [row[0] for row in CATEGORIES]
        category.delete().where(category.slug.in_(slugs)).execute()
    migrator.run(unseed)
