from django.urls import path

from casework.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.report, name="report"),
    path("report.csv", views.report_csv, name="csv"),
    path("donor/", views.donor, name="donor"),
    path("<slug:section>.svg", views.chart_svg, name="chart"),
]
