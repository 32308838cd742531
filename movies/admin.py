from django.contrib import admin

from movies.models import Comment, Genre, Keyword, Movie, Person, Rating, WatchlistItem


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
