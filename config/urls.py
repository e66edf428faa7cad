from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.generic import TemplateView

from catalogue.sitemaps import SITEMAPS

from . import views

admin.site.site_header = "Council partnerships catalogue: editors"
admin.site.site_title = "Catalogue admin"
admin.site.index_title = "Curate case studies"

handler400 = "config.views.bad_request"
handler500 = "config.views.server_error"

urlpatterns = [
    # Before the admin's own, which any staff account may follow (config/views.py says why).
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(views.admin_shortcut),
    ),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
    ),
    path(
        "accessibility/",
        TemplateView.as_view(template_name="accessibility.html"),
        name="accessibility",
    ),
    path("api/", include("catalogue.api")),
    path("", include("catalogue.urls")),
]
