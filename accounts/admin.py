from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from accounts.services import user_delete


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "is_private", "is_active", "date_joined")
    search_fields = ("username", "email")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Profile", {"fields": ("birth_date", "bio", "is_private", "movielens_id")}),
    )

    # Deletion goes through the service, which keeps movie rating aggregates exact and closes
    # the user's sockets; the admin's default would only cascade in the database. Whoever may
    # delete a user may delete what the user owns, whatever the other admins allow one by one
    # (RatingAdmin refuses direct deletes, which used to block every user deletion).
    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, Any, set, Any]:
        deleted, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), protected

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        user_delete(user=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset.order_by("pk"):
            user_delete(user=user)
