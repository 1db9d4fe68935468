"""Persistence shape of the search index (see search_plan for the design). Keys:

- session entry   PK=SIDX#<facet>#<bucket>      SK=<starts_at>#<ses>     one per facet of an upcoming session
- bucket          PK=SDIR#<facet>               SK=<bucket>              `n`: entries in that bucket (approximate)
- listing entry   PK=LIDX#<facet>#<currency>    SK=<amount:012d>#<lst>   a published listing, by price

Entries are hints written before the state they describe commits and removed after it changes, so
the index is always a superset of the truth: every hit is checked against the session and listing
items before it is shown, and a stale entry costs a read, never a wrong or a missing result.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.core.table import BaseItem


class SearchEntryItem(BaseItem, discriminator="search_entry"):
    session_id = UnicodeAttribute()
    listing_id = UnicodeAttribute()
    starts_at = UTCDateTimeAttribute()
    facets = JSONAttribute()  # search_plan.Facets of the listing when written


class SearchBucketItem(BaseItem, discriminator="search_bucket"):
    n = NumberAttribute(default=0)


class ListingEntryItem(BaseItem, discriminator="listing_entry"):
    listing_id = UnicodeAttribute()
    amount = NumberAttribute()
    facets = JSONAttribute()
