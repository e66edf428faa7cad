"""An Atom feed of any filtered view: /case-studies/feed.atom takes /case-studies/'s query."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import capfirst

from .citations import LICENCE, SITE_NAME
from .exports import Selection, select
from .models import CaseStudy

FEED_LENGTH = 50


@dataclass(frozen=True)
class FeedQuery:
    selection: Selection
    base_url: str
    query_string: str


class CaseStudyFeed(Feed):
    """Newest published first, whatever `sort` says: a feed reader wants what is new.

    A bad query string raises `exports.BadQuery` from `get_object`; the view answers 400.
    """

    feed_type = Atom1Feed
    author_name = SITE_NAME

    def get_object(self, request: HttpRequest, *args, **kwargs) -> FeedQuery:
        query = request.GET.copy()
        for name in ("page", "compare"):
            query.pop(name, None)
        return FeedQuery(
            selection=select(query=request.GET),
            base_url=request.build_absolute_uri("/")[:-1],
            query_string=query.urlencode(),
        )

    def title(self, obj: FeedQuery) -> str:
        # The description without its count, which would go stale in a feed reader.
        words = obj.selection.describe(0).split(" ", 1)[1]
        return f"{capfirst(words)}: {SITE_NAME}"

    def subtitle(self, obj: FeedQuery) -> str:
        return "Newly published case studies of how UK councils responded to austerity."

    def link(self, obj: FeedQuery) -> str:
        return self._with_query(reverse("catalogue:case_study_list"), obj)

    def feed_url(self, obj: FeedQuery) -> str:
        return self._with_query(reverse("catalogue:case_study_feed"), obj)

    def feed_copyright(self, obj: FeedQuery) -> str:
        return f"{LICENCE['name']}: {LICENCE['url']}"

    def items(self, obj: FeedQuery) -> list[CaseStudy]:
        case_studies = obj.selection.case_studies.order_by("-published_at", "title")
        return list(case_studies.for_listing()[:FEED_LENGTH])

    def item_title(self, item: CaseStudy) -> str:
        return item.title

    def item_description(self, item: CaseStudy) -> str:
        return item.summary

    def item_pubdate(self, item: CaseStudy) -> datetime:
        return item.published_at

    def item_updateddate(self, item: CaseStudy) -> datetime:
        return item.updated_at

    def item_guid(self, item: CaseStudy) -> str:
        return reverse("catalogue:case_study_permalink", kwargs={"pk": item.pk})

    def item_categories(self, item: CaseStudy) -> list[str]:
        return [item.get_response_display(), *(area.name for area in item.service_areas.all())]

    def get_feed(self, obj: FeedQuery, request: HttpRequest):
        feed = super().get_feed(obj, request)
        # Atom ids must be absolute; Django leaves a custom guid as it is.
        for item in feed.items:
            if item["unique_id"] and item["unique_id"].startswith("/"):
                item["unique_id"] = obj.base_url + item["unique_id"]
        return feed

    @staticmethod
    def _with_query(path: str, obj: FeedQuery) -> str:
        return f"{path}?{obj.query_string}" if obj.query_string else path
