"""The Django admin is the superuser console. State changes with rules (activation, superuser,
deletion, ending sessions) go through the accounts services, so the console and the API agree."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm

from accounts.models import Role, User, UserRole, UserSession
from accounts.services import phones, sessions, users
from core.exceptions import ApplicationError
from core.phones import InvalidPhoneNumber, normalize_e164


class UserFieldsMixin:
    """Phone stored as E.164 (NULL when blank) and email unique regardless of case, as in the API."""

    def clean_phone_number(self):
        try:
            return normalize_e164(self.cleaned_data.get("phone_number"))
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data.get("email"))
        others = User.objects.filter(email__iexact=email)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError("Email already registered")
        return email


class UserAddForm(UserFieldsMixin, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email", "full_name", "phone_number", "is_staff", "is_superuser")
        labels = {"is_staff": "Agent (staff panel and messaging only)"}


class UserEditForm(UserFieldsMixin, UserChangeForm):
    # Only a verified number links SMS/WhatsApp to the user (issue 22); a superuser may vouch for one.
    phone_verified = forms.BooleanField(
        label="Phone number verified",
        required=False,
        help_text="Tick only when you know the number is this user's. A changed number starts unverified.",
    )

    class Meta(UserChangeForm.Meta):
        model = User
        fields = ("username", "password", "email", "full_name", "bio", "phone_number")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone_verified"].initial = self.instance.phone_verified


class PasswordSetForm(AdminPasswordChangeForm):
    def save(self, commit: bool = True):
        user = super().save(commit=commit)
        if commit:
            # A reset by an operator usually means the old password leaked: end every API session.
            sessions.user_logout_all(user=user)
        return user


class UserRoleInline(admin.TabularInline):
    model = UserRole
    extra = 0
    fields = ("role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("role",)


class UserSessionInline(admin.TabularInline):
    model = UserSession
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True  # "end session" lives on the session admin
    fields = ("device_info", "ip_address", "is_active", "created_at", "expires_at")
    readonly_fields = fields
    ordering = ("-created_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def _run_per_user(modeladmin, request, queryset, call, done: str) -> None:
    """Apply one service call per user; a refusal (e.g. acting on yourself) is reported, not raised."""
    count = 0
    for user in queryset:
        try:
            call(user)
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{user.username}: {exc.message}", messages.ERROR)
        else:
            count += 1
    if count:
        modeladmin.message_user(request, f"{count} user(s) {done}.", messages.SUCCESS)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserAddForm
    change_password_form = PasswordSetForm
    list_display = (
        "username", "email", "full_name", "phone_number", "phone_verified", "is_active", "is_staff", "is_superuser",
        "created_at",
    )  # fmt: skip
    list_filter = (
        "is_active",
        "is_staff",
        "is_superuser",
        ("phone_verified_at", admin.EmptyFieldListFilter),
        "created_at",
        "user_roles__role",
    )
    search_fields = ("username", "email", "full_name", "phone_number")
    ordering = ("id",)
    filter_horizontal = ()
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Profile", {"fields": ("email", "full_name", "bio", "phone_number", "phone_verified")}),
        ("Status (change with the list actions)", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username", "email", "full_name", "phone_number", "is_staff", "is_superuser",
                    "usable_password", "password1", "password2",
                ),
            },
        ),
    )  # fmt: skip
    # The flags are read-only on the change form so that every change passes the services' rules.
    readonly_fields = ("is_active", "is_staff", "is_superuser", "last_login", "created_at", "updated_at")
    inlines = (UserRoleInline, UserSessionInline)
    actions = (
        "delete_selected", "enable_users", "disable_users", "make_agents", "unmake_agents",
        "make_superusers", "unmake_superusers", "mark_phones_verified",
    )  # fmt: skip

    @admin.display(boolean=True, description="Phone verified", ordering="phone_verified_at")
    def phone_verified(self, obj: User) -> bool:
        return obj.phone_verified

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**opts, "fields": tuple(f for f in opts["fields"] if f != "phone_verified")})
            for name, opts in fieldsets
        ]

    def save_model(self, request, obj, form, change) -> None:
        if not change or "phone_number" not in form.changed_data:
            super().save_model(request, obj, form, change)
        else:
            # The number changes through the service, which unverifies it and unlinks the old one.
            number = obj.phone_number
            obj.phone_number = form.initial.get("phone_number")
            super().save_model(request, obj, form, change)
            users.user_profile_update(user=obj, phone_number=number or "")
        # Only a box the superuser changed counts: left ticked, it does not vouch for a new number.
        verified = bool(form.cleaned_data.get("phone_verified"))
        if change and request.user.is_superuser and "phone_verified" in form.changed_data:
            try:
                phones.phone_verified_set(user=obj, verified=verified, actor=request.user, source="admin")
            except ApplicationError as exc:
                self.message_user(request, f"{obj.username}: {exc.message}", messages.ERROR)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def get_inlines(self, request, obj):
        return self.inlines if obj else ()

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # "+48 123 456 789" should find the stored "+48123456789".
        try:
            phone = normalize_e164(search_term)
        except InvalidPhoneNumber:
            phone = None
        if phone:
            results = results | queryset.filter(phone_number=phone)
        return results, may_have_duplicates

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.pk == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj) -> None:
        users.user_delete(actor=request.user, user_id=obj.pk)

    def delete_queryset(self, request, queryset) -> None:
        for user in queryset:
            try:
                users.user_delete(actor=request.user, user_id=user.pk)
            except ApplicationError as exc:
                self.message_user(request, f"{user.username}: {exc.message}", messages.ERROR)

    @admin.action(permissions=["delete"], description=django_delete_selected.short_description)
    def delete_selected(self, request, queryset):
        # Replaces the site-wide action: yourself is dropped from the batch (with a message) before
        # Django's confirmation page, which would otherwise refuse the whole batch with a 403.
        if queryset.filter(pk=request.user.pk).exists():
            self.message_user(request, "Cannot delete your own account", messages.ERROR)
            queryset = queryset.exclude(pk=request.user.pk)
            if not queryset.exists():
                return None
        return django_delete_selected(self, request, queryset)

    @admin.action(description="Enable selected users")
    def enable_users(self, request, queryset) -> None:
        _run_per_user(
            self, request, queryset,
            lambda u: users.user_active_set(actor=request.user, user_id=u.pk, active=True), "enabled",
        )  # fmt: skip

    @admin.action(description="Disable selected users")
    def disable_users(self, request, queryset) -> None:
        _run_per_user(
            self, request, queryset,
            lambda u: users.user_active_set(actor=request.user, user_id=u.pk, active=False), "disabled",
        )  # fmt: skip

    @admin.action(description="Make selected users agents (staff panel and messaging only)")
    def make_agents(self, request, queryset) -> None:
        _run_per_user(
            self, request, queryset,
            lambda u: users.user_agent_set(actor=request.user, user_id=u.pk, value=True), "made agent",
        )  # fmt: skip

    @admin.action(description="Remove the agent role from selected users")
    def unmake_agents(self, request, queryset) -> None:
        _run_per_user(
            self, request, queryset,
            lambda u: users.user_agent_set(actor=request.user, user_id=u.pk, value=False), "no longer agent",
        )  # fmt: skip

    @admin.action(description="Make selected users superusers")
    def make_superusers(self, request, queryset) -> None:
        _run_per_user(
            self, request, queryset,
            lambda u: users.user_superuser_set(actor=request.user, user_id=u.pk, value=True), "made superuser",
        )  # fmt: skip

    @admin.action(description="Mark the selected users' phone numbers verified", permissions=["vouch_phone"])
    def mark_phones_verified(self, request, queryset) -> None:
        changed = phones.phones_mark_verified(users=queryset, actor=request.user, source="admin")
        self.message_user(request, f"{len(changed)} phone number(s) marked verified.", messages.SUCCESS)

    def has_vouch_phone_permission(self, request) -> bool:
        return request.user.is_superuser

    @admin.action(description="Remove superuser status from selected users")
    def unmake_superusers(self, request, queryset) -> None:
        _run_per_user(
            self, request, queryset,
            lambda u: users.user_superuser_set(actor=request.user, user_id=u.pk, value=False),
            "no longer superuser",
        )  # fmt: skip


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "created_at")
    search_fields = ("name", "description")
    ordering = ("id",)


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "device_info", "ip_address", "is_active", "created_at", "expires_at")
    list_filter = ("is_active", "created_at")
    search_fields = ("user__username", "ip_address", "device_info")
    list_select_related = ("user",)
    ordering = ("-created_at",)
    # session_token and refresh_jti stay out of the console: they are credentials.
    fields = ("user", "device_info", "ip_address", "is_active", "created_at", "expires_at")
    readonly_fields = fields
    actions = ("end_sessions",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Viewing only; the rows change through the action below.
        return False

    def delete_model(self, request, obj) -> None:
        sessions.sessions_delete(sessions=[obj])

    def delete_queryset(self, request, queryset) -> None:
        sessions.sessions_delete(sessions=queryset)

    @admin.action(description="End selected sessions (log out, revoke refresh token)", permissions=["view"])
    def end_sessions(self, request, queryset) -> None:
        count = sessions.sessions_end(sessions=queryset.filter(is_active=True))
        self.message_user(request, f"{count} session(s) ended.", messages.SUCCESS)
