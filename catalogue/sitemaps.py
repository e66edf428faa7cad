from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import CaseStudy, ResponseType, ServiceArea


class CaseStudySitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return CaseStudy.objects.published().order_by("pk")

    def lastmod(self, case_study: CaseStudy):
        return case_study.updated_at


class PageSitemap(Sitemap):
    def items(self) -> list[str]:
        return [
            reverse("catalogue:home"),
            reverse("catalogue:case_study_list"),
            *(reverse("catalogue:response_detail", args=[r]) for r in ResponseType.values),
            *(area.get_absolute_url() for area in ServiceArea.objects.order_by("slug")),
        ]

    def location(self, item: str) -> str:
        return item


SITEMAPS = {"case-studies": CaseStudySitemap, "pages": PageSitemap}
