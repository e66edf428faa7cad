from django.urls import path

from . import views

app_name = "catalogue"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("privacy/", views.privacy, name="privacy"),
    path("case-studies/", views.case_study_list, name="case_study_list"),
    path("case-studies/<int:pk>/", views.case_study_permalink, name="case_study_permalink"),
    path("case-studies/<slug:slug>/", views.case_study_detail, name="case_study_detail"),
    path("responses/<slug:response>/", views.response_detail, name="response_detail"),
    path("service-areas/<slug:slug>/", views.service_area_detail, name="service_area_detail"),
    path("councils/<slug:slug>/", views.council_detail, name="council_detail"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation_detail"),
    path("partnerships/<slug:slug>/", views.partnership_detail, name="partnership_detail"),
    path("insights/", views.insights, name="insights"),
    path("insights/<slug:chart>.csv", views.insights_csv, name="insights_csv"),
    # Research outputs: the list's query string as files, a feed, citations, a comparison.
    path("case-studies/export.csv", views.case_study_export_csv, name="case_study_export_csv"),
    path("case-studies/export.json", views.case_study_export_json, name="case_study_export_json"),
    path("case-studies/feed.atom", views.case_study_feed, name="case_study_feed"),
    path("case-studies/<slug:slug>/cite.bib", views.case_study_bibtex, name="case_study_bibtex"),
    path("case-studies/<slug:slug>/cite.ris", views.case_study_ris, name="case_study_ris"),
    path("codebook/", views.codebook, name="codebook"),
    path("codebook.json", views.codebook_json, name="codebook_json"),
    path("compare/", views.compare, name="compare"),
    path("compare/export.csv", views.compare_export_csv, name="compare_export_csv"),
]
