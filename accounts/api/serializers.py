from rest_framework import serializers

from accounts.models import Role, User, UserSession
from accounts.passwords import PasswordRulesValidator
from core.phones import InvalidPhoneNumber, normalize_e164


class PhoneNumberField(serializers.CharField):
    """Accepts any common spelling, stores E.164; blank means "no number"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            return normalize_e164(super().to_internal_value(data))
        except InvalidPhoneNumber as exc:
            raise serializers.ValidationError(str(exc)) from exc


class NewPasswordField(serializers.CharField):
    """A password being set: every rule of AUTH_PASSWORD_VALIDATORS, reported on this field."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 128)
        kwargs.setdefault("trim_whitespace", False)
        kwargs["validators"] = [*kwargs.get("validators", ()), PasswordRulesValidator()]
        super().__init__(**kwargs)


class UserOutSerializer(serializers.ModelSerializer):
    # Only a verified number links SMS/WhatsApp to the account (issue 22).
    phone_verified = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id", "username", "email", "full_name", "bio", "phone_number", "phone_verified",
            "is_active", "is_superuser", "is_staff", "created_at", "updated_at",
        ]  # fmt: skip
        extra_kwargs = {"is_staff": {"help_text": "Staff: an agent, or a superuser (always staff)."}}


class UserCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=100, trim_whitespace=True)
    email = serializers.EmailField(max_length=255)
    password = NewPasswordField(write_only=True)
    full_name = serializers.CharField(max_length=255, required=False, allow_null=True, allow_blank=True)
    phone_number = PhoneNumberField()


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshSerializer(serializers.Serializer):
    refresh_token = serializers.CharField()


class LogoutSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class TokenOutSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")


class AuthOutSerializer(TokenOutSerializer):
    user = UserOutSerializer()


class RegisterOutSerializer(UserOutSerializer):
    """The new user, with the tokens of the session that registering opened."""

    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField()
    user = UserOutSerializer()

    class Meta(UserOutSerializer.Meta):
        fields = [*UserOutSerializer.Meta.fields, "access_token", "refresh_token", "token_type", "user"]


class ProfileUpdateSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=255, required=False, allow_null=True, allow_blank=True)
    bio = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=10_000)
    phone_number = PhoneNumberField()


class PhoneSetSerializer(serializers.Serializer):
    phone_number = PhoneNumberField(required=True, allow_null=False, allow_blank=False)


class PhoneVerifySerializer(serializers.Serializer):
    phone = PhoneNumberField(allow_blank=False, help_text="Set this number (unverified) and send the code to it.")
    channel = serializers.ChoiceField(choices=["sms", "whatsapp"], default="sms")


class PhoneVerifySentSerializer(serializers.Serializer):
    phone_number = serializers.CharField()
    channel = serializers.CharField()
    expires_at = serializers.DateTimeField()
    expires_in = serializers.IntegerField(help_text="Seconds the code stays valid.")
    attempts = serializers.IntegerField(help_text="Wrong codes allowed before the code is dead.")


class PhoneConfirmSerializer(serializers.Serializer):
    code = serializers.RegexField(
        r"^\s*\d{6}\s*$", max_length=20, error_messages={"invalid": "Enter the 6-digit code."}
    )


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = NewPasswordField()


class SuperuserFlagSerializer(serializers.Serializer):
    is_superuser = serializers.BooleanField()


class AgentFlagSerializer(serializers.Serializer):
    is_agent = serializers.BooleanField()


class SessionOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = UserSession
        fields = ["id", "user_id", "device_info", "ip_address", "created_at", "expires_at", "is_active"]


class RoleOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Role
        fields = ["id", "name", "description", "created_at", "updated_at"]


class RoleCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=255, required=False, allow_null=True, allow_blank=True)


class RoleIdsSerializer(serializers.Serializer):
    # Unknown ids are ignored (A22); one no database column can hold is bad input, not a lookup.
    role_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=-(2**63), max_value=2**63 - 1), allow_empty=True
    )


class MessageOutSerializer(serializers.Serializer):
    message = serializers.CharField()
