from django.urls import path
from rest_framework.routers import DefaultRouter

from activities.api import ActivityViewSet
from dashboards.api import MetricViewSet
from handoffs.api import HandoffViewSet
from leads.api import CompanyViewSet, LeadViewSet, RecycleReasonViewSet, TouchPointWebhookView
from opportunities.api import LostReasonViewSet, OpportunityViewSet, PhaseViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("handoffs", HandoffViewSet, basename="handoff")
router.register("opportunities", OpportunityViewSet, basename="opportunity")
router.register("leads", LeadViewSet, basename="lead")
router.register("companies", CompanyViewSet, basename="company")
router.register("activities", ActivityViewSet, basename="activity")
router.register("phases", PhaseViewSet, basename="phase")
router.register("lost-reasons", LostReasonViewSet, basename="lost-reason")
router.register("recycle-reasons", RecycleReasonViewSet, basename="recycle-reason")
router.register("metrics", MetricViewSet, basename="metric")

urlpatterns = [
    path("touchpoints/", TouchPointWebhookView.as_view(), name="touchpoint-webhook"),
    *router.urls,
]
