from accounts import views
from mcbackend.api import optional_slash

app_name = "accounts"

urlpatterns = [
    *optional_slash("user/signup/", views.SignupView.as_view(), name="signup"),
    *optional_slash("token/", views.LoginView.as_view(), name="login"),
    *optional_slash("token/refresh/", views.TokenRefreshView.as_view(), name="token-refresh"),
    *optional_slash("user/logout/", views.LogoutView.as_view(), name="logout"),
    *optional_slash("user/delete/", views.UserDeleteView.as_view(), name="user-delete"),
    *optional_slash("user/profile/", views.ProfileView.as_view(), name="profile"),
    *optional_slash("user/update/", views.UserUpdateView.as_view(), name="user-update"),
    *optional_slash(
        "user/password-reset/", views.PasswordResetView.as_view(), name="password-reset"
    ),
    *optional_slash(
        "user/password-reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
]
