from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Council partnerships catalogue: editors"
admin.site.site_title = "Catalogue admin"
admin.site.index_title = "Curate case studies"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("catalogue.api")),
    path("", include("catalogue.urls")),
]
