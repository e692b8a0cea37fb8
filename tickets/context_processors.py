from tickets.selectors import notification_count_unread


def desk(request):
    """What the page frame shows on every page: the signed-in person's profile and unread count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "staff_profile": getattr(user, "staff", None),
        "unread_notifications": notification_count_unread(user=user),
    }
