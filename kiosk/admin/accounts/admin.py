"""User administration with the mobile number beside the username."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from kiosk.admin.accounts.models import Profile


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ("mobile",)


class ConsoleUserAdmin(UserAdmin):
    inlines = (ProfileInline,)
    list_display = ("username", "profile__mobile", "first_name", "last_name", "is_active",
                    "is_staff")
    search_fields = ("username", "first_name", "last_name", "email", "profile__mobile")


user_model = get_user_model()
if admin.site.is_registered(user_model):
    admin.site.unregister(user_model)
admin.site.register(user_model, ConsoleUserAdmin)
