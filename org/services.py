from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .errors import field_error
from .models import Team, User


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    role: str,
    team: Team | None = None,
    last_name: str = "",
    first_name: str = "",
    email: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Creates a user whose role and team agree: IS reps sit in an IS team, FS reps in an FS team."""
    user = User(
        username=username,
        role=role,
        team=team,
        last_name=last_name,
        first_name=first_name,
        email=email,
        is_staff=is_staff or is_superuser or role == User.Role.ADMIN,
        is_superuser=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    _check_role_team(user)
    user.save()
    return user


def _check_role_team(user: User) -> None:

    if user.team is None:
        return
    expected = {
        User.Role.IS: Team.IS_KINDS,
        User.Role.FS: (Team.Kind.FS_SEGMENT,),
        User.Role.CS: (Team.Kind.CS,),
        User.Role.MARKETING: (Team.Kind.MARKETING,),
    }.get(user.role)
    if expected is not None and user.team.kind not in expected:
        raise field_error(
            "team",
            _("A %(role)s user cannot sit in a %(kind)s team."),
            code="role_team_mismatch",
            params={"role": user.get_role_display(), "kind": user.team.get_kind_display()},
        )
