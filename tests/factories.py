"""factory_boy factories for tests. Tickets are made through services (tests/helpers)."""

import factory
from django.contrib.auth import get_user_model

from tickets.models import Category, Customer, Department, StaffProfile


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"部门{n}")
    code = factory.Sequence(lambda n: f"dept{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"员工{n}")
    password = factory.django.Password("pass-1234")


class StaffFactory(factory.django.DjangoModelFactory):
    """A staff profile; its `user` is created alongside."""

    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    staff_no = factory.Sequence(lambda n: f"{1000 + n}")
    extension = factory.Sequence(lambda n: f"8{n:03d}")
    department = factory.SubFactory(DepartmentFactory)
    role = StaffProfile.Role.FRONT_DESK


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"客户{n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"类别{n}")
