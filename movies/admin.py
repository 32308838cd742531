from django.contrib import admin

from movies.models import Comment, Genre, Keyword, Movie, Person, Rating, WatchlistItem
from movies.services import comments_moderate_delete


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "release_date", "ratings_count")
    search_fields = ("title", "title_normalized")
    readonly_fields = ("ratings_count", "ratings_sum", "title_normalized")
    raw_id_fields = ("genres", "directors", "keywords")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """Moderation: find comments by text or author and delete them."""

    list_display = ("id", "movie", "author", "created")
    search_fields = ("body", "author__username")
    raw_id_fields = ("movie", "author")

    # Deleting (one comment, or the bulk action) goes through movies.services, which publishes
    # `comment.deleted` to the movie's live stream after commit; the admin's default would not.
    def delete_model(self, request, obj) -> None:  # type: ignore[no-untyped-def]
        comments_moderate_delete(comment_ids=[obj.pk])

    def delete_queryset(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        comments_moderate_delete(comment_ids=list(queryset.values_list("pk", flat=True)))


admin.site.register([Genre, Person, Keyword])


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "movie", "value", "timestamp")
    raw_id_fields = ("user", "movie")

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False  # aggregates are kept by movies.services; edit through the API

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(WatchlistItem)
class WatchlistItemAdmin(admin.ModelAdmin):
    raw_id_fields = ("user", "movie")
