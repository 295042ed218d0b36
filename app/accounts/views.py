"""Register, log in, log out, reset the password, and the account page.

Every write is a POST with a CSRF token and a rate limit per address (per account
once logged in). Logging in starts a new session: the old one's data is dropped.
"""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from app.accounts import services
from app.accounts.forms import (
    ChangePasswordForm,
    CodeLoginForm,
    ConfirmForm,
    LoginForm,
    PreferencesForm,
    RegisterForm,
    ResetPasswordForm,
    SmsCodeForm,
)
from app.auth import services as auth
from app.auth.login import current_session_secret, sign_in, sign_out
from app.auth.models import CodePurpose, Role
from app.auth.services import CodeRejected
from app.core.clock import request_now
from app.core.errors import DomainError
from app.core.phones import mask_phone
from app.core.redirects import safe_next
from app.extensions import db, limiter
from app.notifications import compose

bp = Blueprint("accounts", __name__)
AFTER_SIGN_IN = "xq_after_sign_in"  # Flask session key: where registering or 验证码登录 leads
bp.add_app_template_filter(mask_phone)

LOGIN_LIMIT = "10 per minute;50 per hour"
REGISTER_LIMIT = "5 per minute;30 per hour"
CODE_LIMIT = "5 per minute;30 per hour"
RESET_LIMIT = "5 per minute;30 per hour"
PASSWORD_LIMIT = "5 per minute"  # per account
CODE_PAGES = {CodePurpose.REGISTER: "accounts.register",
              CodePurpose.RESET_PASSWORD: "accounts.reset_password",
              CodePurpose.LOGIN: "accounts.login_by_code"}


def by_address() -> str:
    return f"ip:{get_remote_address()}"


# One limit per address for every way of logging in: the page and the API's tokens.
login_limit = limiter.shared_limit(LOGIN_LIMIT, scope="login", key_func=by_address,
                                   methods=["POST"])


def _refused(form, exc: DomainError) -> None:
    """Show a refusal. A wrong SMS code is still committed: it counts as a guess."""
    if isinstance(exc, CodeRejected):
        db.session.commit()
    else:
        db.session.rollback()
    form.add_domain_error(exc)


@bp.post("/auth/sms-code")
@limiter.limit(CODE_LIMIT, key_func=by_address)
def sms_code():
    """Step 1 of registering or resetting: send a code, then show that page's step 2."""
    form = SmsCodeForm()
    purpose = CodePurpose(form.purpose.data) if form.purpose.data in CODE_PAGES else None
    page = url_for(CODE_PAGES[purpose or CodePurpose.REGISTER])
    if purpose is None or not form.validate_on_submit():
        flash(str((form.phone.errors or [_("请输入11位手机号")])[0]), "error")
        return redirect(page)
    try:
        services.send_code(form.phone.data, purpose, now=request_now(),
                          locale=compose.current_locale())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        if exc.code != "code_too_soon":  # else the code sent a moment ago still works
            session.pop(_code_phone_key(purpose), None)
            return redirect(page)
    else:
        db.session.commit()
        flash(_("验证码已发送到%(phone)s，10分钟内有效", phone=mask_phone(form.phone.data)),
              "success")
    session[_code_phone_key(purpose)] = form.phone.data
    return redirect(page)


def _code_phone_key(purpose: CodePurpose) -> str:
    return f"code_phone_{purpose.value}"


def _code_step(purpose: CodePurpose) -> str | None:
    """The phone a code was sent to for ``purpose``: step 2 of its page, else step 1."""
    if request.args.get("change"):
        return None
    return session.get(_code_phone_key(purpose))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(REGISTER_LIMIT, key_func=by_address, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for(".account"))
    _keep_next()
    phone = _code_step(CodePurpose.REGISTER)
    if phone is None:
        return _code_request_page("accounts/register.html", CodePurpose.REGISTER)
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_resident(
                phone=phone, code=form.code.data, name=form.name.data,
                id_number=form.id_number.data, password=form.password.data, now=request_now(),
            )
        except DomainError as exc:
            _refused(form, exc)
        else:
            return _signed_in(user, url_for("web.home"), welcome=_("注册成功，欢迎使用"))
    return render_template("accounts/register.html", form=form, phone=phone,
                           code_form=_resend_form(phone, CodePurpose.REGISTER))


def _code_request_page(template: str, purpose: CodePurpose):
    if request.method == "POST":  # step 2 without step 1 (or the session ran out)
        flash(_("请先获取验证码"), "error")
    return render_template(template, form=None, phone=None,
                           code_form=SmsCodeForm(data={"purpose": purpose.value}))


def _resend_form(phone: str, purpose: CodePurpose) -> SmsCodeForm:
    return SmsCodeForm(formdata=None, data={"phone": phone, "purpose": purpose.value})


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    form = LoginForm(data={"next": safe_next(request.args.get("next"))})
    if form.validate_on_submit():
        try:
            user = auth.authenticate(form.phone.data, form.password.data)
        except DomainError as exc:
            _refused(form, exc)
        else:
            sign_in(user)
            db.session.commit()
            return redirect(safe_next(form.next.data) or _landing(user))
    elif current_user.is_authenticated:
        return redirect(safe_next(form.next.data) or _landing(current_user))
    return render_template("accounts/login.html", form=form)


@bp.route("/login/sms", methods=["GET", "POST"])
@login_limit
def login_by_code():
    """验证码登录: the phone gets an SMS code (step 1, ``sms_code``), the code signs in;
    under the same per-address limit as the password."""
    _keep_next()
    phone = _code_step(CodePurpose.LOGIN)
    if phone is None:
        return _code_request_page("accounts/login_sms.html", CodePurpose.LOGIN)
    form = CodeLoginForm()
    if form.validate_on_submit():
        try:
            user = auth.authenticate_by_code(phone, form.code.data, now=request_now())
        except DomainError as exc:
            _refused(form, exc)
        else:
            return _signed_in(user, _landing(user))
    return render_template("accounts/login_sms.html", form=form, phone=phone,
                           code_form=_resend_form(phone, CodePurpose.LOGIN))


def _signed_in(user, default: str, *, welcome: str | None = None):
    """Sign ``user`` in (the request's one commit) and go where the two-step page was
    for, else to ``default``."""
    target = safe_next(session.pop(AFTER_SIGN_IN, None))  # signing in clears the session
    sign_in(user)
    db.session.commit()
    if welcome:
        flash(welcome, "success")
    return redirect(target or default)


def _keep_next() -> None:
    """Keep the page a two-step sign-in is for across its steps (used once)."""
    if target := safe_next(request.args.get("next")):
        session[AFTER_SIGN_IN] = target


def _landing(user) -> str:
    """Where signing in leads without a ``next``: staff to 工作台, residents home."""
    return url_for("console.index") if user.is_staff else url_for("web.home")


@bp.post("/logout")
def logout():
    if ConfirmForm().validate_on_submit():
        sign_out()
        db.session.commit()
        flash(_("已退出登录"), "success")
    return redirect(url_for("web.home"))


@bp.route("/reset-password", methods=["GET", "POST"])
@limiter.limit(RESET_LIMIT, key_func=by_address, methods=["POST"])
def reset_password():
    phone = _code_step(CodePurpose.RESET_PASSWORD)
    if phone is None:
        return _code_request_page("accounts/reset_password.html", CodePurpose.RESET_PASSWORD)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            auth.reset_password(phone, form.code.data, form.password.data, now=request_now())
        except DomainError as exc:
            _refused(form, exc)
        else:
            sign_out()
            db.session.commit()
            flash(_("密码已重新设置，所有设备上的登录和 API 令牌都已失效，请用新密码登录"),
                  "success")
            return redirect(url_for(".login"))
    return render_template("accounts/reset_password.html", form=form, phone=phone,
                           code_form=_resend_form(phone, CodePurpose.RESET_PASSWORD))


@bp.get("/account")
@login_required
def account():
    return _account_page(ChangePasswordForm())


@bp.post("/account/notifications")
@login_required
def preferences():
    form = PreferencesForm()
    if form.validate_on_submit():
        auth.set_preferences(current_user.id, email=form.email.data,
                             sms=form.notify_sms.data, by_email=form.notify_email.data,
                             locale=form.locale.data, now=request_now())
        db.session.commit()
        flash(_("通知设置已保存"), "success")
        return redirect(url_for(".account"))
    return _account_page(ChangePasswordForm(formdata=None), preferences_form=form)


@bp.post("/account/password")
@limiter.limit(PASSWORD_LIMIT)
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            auth.change_password(current_user.id, form.current.data, form.password.data,
                                 now=request_now(), keep_session=current_session_secret())
        except DomainError as exc:
            _refused(form, exc)
        else:
            db.session.commit()
            flash(_("密码已修改，其他设备上的登录已退出，API 令牌已全部撤销"), "success")
            return redirect(url_for(".account"))
    return _account_page(form)


def _account_page(password_form: ChangePasswordForm,
                  preferences_form: PreferencesForm | None = None):
    if preferences_form is None:
        preferences_form = PreferencesForm(formdata=None, obj=current_user)
    return render_template("accounts/account.html", password_form=password_form,
                           preferences_form=preferences_form,
                           is_admin=current_user.has_role(Role.ADMIN))
