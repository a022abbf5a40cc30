import factory
from django.utils import timezone

from accounts.models import Role, User

PASSWORD = "secret123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    full_name = factory.Faker("name")
    is_active = True
    is_superuser = False

    class Params:
        # A number its owner proved (issue 22): only such a number links SMS/WhatsApp to the user.
        phone_verified = factory.Trait(phone_verified_at=factory.LazyFunction(timezone.now))

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save()


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    name = factory.Sequence(lambda n: f"role{n}")
    description = "A role"
