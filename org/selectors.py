"""Who may see what is decided here and in each app's selectors, nowhere else.

- admin (role admin or superuser): everything
- manager: the teams they manage (Team.manager), i.e. those teams' leads, members' deals and handoffs
- IS rep: their own leads and their team's unowned pool; the SQLs they handed off
- FS rep: handoffs addressed to them and the deals they own
- CS rep: their accounts and the deals behind them
- marketing: all leads (they bring them in), no deals
Companies are shared master data: every signed-in user may read them.
"""

from django.db.models import QuerySet

from .models import Team, User


def team_list(*, user: User) -> QuerySet[Team]:
    return Team.objects.all()


def managed_team_ids(*, user: User) -> QuerySet:
    return Team.objects.filter(manager=user).values("pk")


def user_list(*, role: str | None = None, team: Team | None = None) -> QuerySet[User]:
    qs = User.objects.filter(is_active=True).select_related("team")
    if role:
        qs = qs.filter(role=role)
    if team is not None:
        qs = qs.filter(team=team)
    return qs


def api_token_list(*, user: User) -> QuerySet:
    from .models import ApiToken

    return ApiToken.objects.filter(user=user)
