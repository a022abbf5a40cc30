import factory

from accounts.tests.factories import UserFactory
from reports.enums import ReportStatus
from reports.models import Report, ReportComment


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    reporter = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Broken tap #{n}")
    content = "Water keeps running in building 1, second floor."
    status = ReportStatus.OPEN


class ReportCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportComment

    report = factory.SubFactory(ReportFactory)
    author = factory.SubFactory(UserFactory, is_superuser=True)
    body = "Looking into it."
